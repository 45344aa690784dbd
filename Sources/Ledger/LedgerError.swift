import SQLiteDB
import Store

extension LedgerError {
    /// Maps an SQLite failure to the ledger's errors: a full disk and a lock are named.
    static func wrap(_ error: any Error, path: String = "") -> LedgerError {
        if let error = error as? LedgerError { return error }
        guard let sqlite = error as? SQLiteError else { return .io(path: path, reason: String(describing: error)) }
        if sqlite.isDiskFull { return .diskFull(path: path) }
        if sqlite.isBusy { return .busy(path: path) }
        if sqlite.isReadOnly {
            return .io(path: path, reason: "not writable by this user (SQLite keeps -wal and -shm files beside a ledger, even to read it); "
                       + "run as the user serve runs as, or give this one write access to the data dir")
        }
        if sqlite.isCannotOpen { return .io(path: path, reason: "cannot open or create it (check the directory exists and is writable)") }
        return .database(sqlite.description)
    }
}
