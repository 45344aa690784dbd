import Store

/// Why an import could not run at all. A bad file is not one: it is reported and the others go on.
public enum ImportError: Error, Sendable, CustomStringConvertible {
    /// A path given does not exist or cannot be read.
    case unreadable(path: String, reason: String)
    /// `--map` is not `NAME=CHAT_ID`, or names no 1:1 chat of the channel.
    case badMapping(String)
    case ledger(LedgerError)
    /// The staging dir could not be written (a full disk, permissions).
    case staging(String)
    /// Another import of the data dir is running (its lock file).
    case locked(String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "\(path): \(reason)"
        case .badMapping(let problem): "--map: \(problem)"
        case .ledger(let error): "\(error)"
        case .staging(let reason): "staging an imported file: \(reason)"
        case .locked(let path): "another import of this data dir is running (lock \(path)); try again when it ends"
        }
    }
}
