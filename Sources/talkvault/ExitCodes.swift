import Accounts
import Archive
import AuditTrail
import BackupImport
import Disclosure
import Intake
import Export
import Ledger
import Store
import Packing
import RetentionConfig

/// The documented exit codes (see the README's table). Scripts and systemd rely on them.
enum Exit: Int32 {
    case ok = 0
    /// An unexpected internal error.
    case internalError = 1
    /// The command finished, but some input was rejected (ingest: malformed bodies; mark-read: unknown ids).
    case partial = 2
    /// `sweep` finished, but items are at risk or were newly lost: alert someone.
    case attention = 3
    /// Another sweep or pack holds the data dir's lock, or another serve owns the inbox.
    case locked = 4
    /// A bad command line or environment variable (`TALKVAULT_NOW`), or a target that must not
    /// exist yet (`reindex --to`, `demo --dir` without `--replace`).
    case usage = 64
    /// `verify` or `reindex` found damaged, missing or inconsistent archives; the report names them.
    case dataError = 65
    /// An input file, or the ledger a reading command needs, does not exist or cannot be read.
    case noInput = 66
    /// Writing failed (disk full, permissions, a damaged ledger); nothing half-written was kept.
    case ioError = 74
    /// The ledger is locked by another process; try again.
    case busy = 75
    /// An active legal hold covers what `erase` would remove, or the tag `tag remove` would take
    /// off: nothing was changed; the message names the hold.
    case held = 77
    /// The config file is invalid or unreadable.
    case config = 78
}

/// A failure with a message for stderr and an exit code from the table.
struct Failure: Error, CustomStringConvertible {
    let exit: Exit
    let message: String

    init(_ exit: Exit, _ message: String) {
        self.exit = exit
        self.message = message
    }

    var description: String { message }
}

extension Failure {
    /// The one mapping from an error to its row of the table, applied once, at the top
    /// (`TalkVault.main`): commands throw what their libraries throw, or a `Failure` when only
    /// the command knows the row (a usage rule, a finding to report).
    init(any error: any Error) {
        switch error {
        case let failure as Failure: self = failure
        case let error as ConfigError: self.init(.config, error.description)
        case let error as Credentials.Missing: self.init(.config, error.description)
        case let error as LedgerError: self.init(error)
        case let error as ArchiveError: self.init(error)
        case let error as PackingError: self.init(.dataError, error.description)
        case let error as PackLockError:
            if case .held = error { self.init(.locked, error.description) } else { self.init(.ioError, error.description) }
        case let error as IngestError:
            switch error {
            case .unreadable: self.init(.noInput, error.description)
            case .ledger(let ledgerError, _, _): self.init(Failure(ledgerError).exit, error.description)
            }
        case let error as RestoreError:
            switch error {
            case .unknownMessage, .notArchived: self.init(.noInput, error.description)
            case .exists, .io: self.init(.ioError, error.description)
            }
        case let error as RewriteError:
            if case .modified = error { self.init(.dataError, error.description) } else { self.init(.ioError, error.description) }
        case let error as AuditError:
            if case .damaged = error { self.init(.dataError, error.description) } else { self.init(.ioError, error.description) }
        case let error as ImportError:
            switch error {
            case .unreadable: self.init(.noInput, error.description)
            case .badMapping: self.init(.usage, error.description)
            case .ledger(let ledgerError): self.init(Failure(ledgerError).exit, error.description)
            case .staging: self.init(.ioError, error.description)
            case .locked: self.init(.locked, error.description)
            }
        case let error as DisclosureError:
            switch error {
            case .notEmpty, .notADirectory: self.init(.usage, error.description)
            case .unknownUser: self.init(.noInput, error.description)
            case .contentMismatch: self.init(.dataError, error.description)
            case .io: self.init(.ioError, error.description)
            }
        case let error as ExportError:
            switch error {
            case .forceNeedsReason: self.init(.usage, error.description)
            case .deliveredFileChanged: self.init(.dataError, error.description)
            case .purged: self.init(.noInput, error.description)
            case .io: self.init(.ioError, error.description)
            }
        case let error as AccountsError:
            switch error {
            case .invalidName, .passwordTooShort, .passwordTooLong, .passwordHasControlCharacter, .duplicateUser: self.init(.usage, error.description)
            case .unknownUser, .unreadable: self.init(.noInput, error.description)
            case .damaged: self.init(.dataError, error.description)
            case .io: self.init(.ioError, error.description)
            }
        default: self.init(.internalError, "\(error)")
        }
    }

    private init(_ error: LedgerError) {
        switch error {
        case .notFound, .schemaOutdated: self.init(.noInput, error.description)
        case .busy: self.init(.busy, error.description)
        case .unexpectedSchema: self.init(.dataError, error.description)
        case .inboxLocked: self.init(.locked, error.description)
        case .schemaTooNew, .diskFull, .database, .io: self.init(.ioError, error.description)
        }
    }

    private init(_ error: ArchiveError) {
        switch error {
        case .io: self.init(.ioError, error.description)
        case .notFound: self.init(.noInput, error.description)
        case .damaged, .checksumMismatch, .stagedFileMismatch: self.init(.dataError, error.description)
        }
    }
}
