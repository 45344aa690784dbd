/// Errors from the ledger, whatever its backend. None carries message text or bound values.
public enum LedgerError: Error, Sendable, CustomStringConvertible {
    /// The database file does not exist and was not to be created.
    case notFound(path: String)
    /// The file was written by a newer TalkVault.
    case schemaTooNew(found: Int, supported: Int)
    /// The disk is full: nothing of the failed write was kept.
    case diskFull(path: String)
    /// Another process holds the database past the busy timeout.
    case busy(path: String)
    /// Any other failure of the backend, described by it (never with a bound value).
    case database(String)
    /// A reader met a schema older than this version's; a writer upgrades it.
    case schemaOutdated(path: String, found: Int, current: Int)
    /// A filesystem failure around the database (creating its directory, say).
    case io(path: String, reason: String)
    /// A migration found a schema it does not expect: the file was altered by hand.
    case unexpectedSchema(String)
    /// Another `serve` owns the webhook inbox log.
    case inboxLocked(path: String)

    public var description: String {
        switch self {
        case .notFound(let path): return "no ledger at \(path) (run `talkvault ingest` or `talkvault serve` first, or check --data-dir)"
        case .schemaTooNew(let found, let supported):
            return "the ledger has schema version \(found), newer than this talkvault supports (\(supported)); upgrade talkvault"
        case .schemaOutdated(let path, let found, let current):
            return "the ledger \(path) has schema version \(found) and this talkvault reads version \(current); "
                + "a command that writes (`talkvault sweep`, `pack`, `ingest`, or `serve` on start) upgrades it"
        case .diskFull(let path): return "disk full writing \(path); nothing of the failed batch was kept"
        case .busy(let path): return "the ledger \(path) is locked by another process"
        case .database(let reason): return "ledger error: \(reason)"
        case .io(let path, let reason): return "\(path): \(reason)"
        case .unexpectedSchema(let problem): return "the ledger's schema is not one TalkVault wrote: \(problem)"
        case .inboxLocked(let path): return "another talkvault serve owns this ledger's webhook inbox (lock \(path)); this one did nothing"
        }
    }
}
