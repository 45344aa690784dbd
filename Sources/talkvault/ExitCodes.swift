import ArgumentParser
import Intake
import Foundation
import Ledger
import Archive
import Packing

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

    init(_ error: LedgerError) {
        switch error {
        case .notFound: self.init(.noInput, error.description)
        case .busy: self.init(.busy, error.description)
        case .unexpectedSchema: self.init(.dataError, error.description)
        case .inboxLocked: self.init(.locked, error.description)
        case .schemaTooNew, .diskFull, .database, .io: self.init(.ioError, error.description)
        }
    }

    init(_ error: ArchiveError) {
        switch error {
        case .io: self.init(.ioError, error.description)
        case .notFound: self.init(.noInput, error.description)
        case .damaged, .checksumMismatch, .stagedFileMismatch: self.init(.dataError, error.description)
        }
    }

    /// Maps any library error to its row of the table.
    init(any error: any Error) {
        switch error {
        case let failure as Failure: self = failure
        case let error as LedgerError: self.init(error)
        case let error as ArchiveError: self.init(error)
        case let error as PackingError: self.init(.dataError, error.description)
        case let error as PackLockError:
            if case .held = error { self.init(.locked, error.description) } else { self.init(.ioError, error.description) }
        default: self.init(.internalError, "\(error)")
        }
    }

    var description: String { message }
}

extension ParsableArguments {
    /// Runs `body`, turning a `Failure` into its message on stderr and its exit code.
    func reportingFailures(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let failure as Failure {
            throw failure.exitCode()
        }
    }

    /// Runs `body`, turning a `Failure` into its message on stderr and its exit code.
    func reportingFailures(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let failure as Failure {
            throw failure.exitCode()
        }
    }
}

extension Failure {
    /// Writes the message to stderr and returns the exit code to throw.
    func exitCode() -> ExitCode {
        FileHandle.standardError.write(Data("talkvault: \(message)\n".utf8))
        return ExitCode(exit.rawValue)
    }
}

/// Writes a Codable value as pretty JSON with sorted keys, for `--json` outputs.
func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    FileHandle.standardOutput.write(try encoder.encode(value))
    FileHandle.standardOutput.write(Data("\n".utf8))
}
