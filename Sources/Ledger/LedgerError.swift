import SQLiteDB
import Store

extension LedgerError {
    /// Maps an SQLite failure to the ledger's errors: a full disk and a lock are named.
    static func wrap(_ error: any Error, path: String = "") -> LedgerError {
        if let error = error as? LedgerError { return error }
        guard let sqlite = error as? SQLiteError else { return .io(path: path, reason: String(describing: error)) }
        if sqlite.isDiskFull { return .diskFull(path: path) }
        if sqlite.isBusy { return .busy(path: path) }
        return .database(sqlite.description)
    }
}
