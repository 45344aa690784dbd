import CTalkVaultSQLite
@testable import Ledger
@testable import SQLiteDB
import Store
import Testing

/// SQLite's failures become the ledger's errors, named with the file and what to do.
@Suite struct LedgerErrorTests {
    @Test func aReadOnlyOrUnopenableFileIsNamedWithWhatToDo() {
        let path = "/var/lib/talkvault/ledger.sqlite3"
        let readOnly = LedgerError.wrap(SQLiteError(code: SQLITE_READONLY | (6 << 8), message: "attempt to write a readonly database"), path: path)
        guard case .io(let where1, let why1) = readOnly else { Issue.record("\(readOnly)"); return }
        #expect(where1 == path && why1.contains("run as the user serve runs as"))
        let cannotOpen = LedgerError.wrap(SQLiteError(code: SQLITE_CANTOPEN, message: "unable to open database file"), path: path + "-search")
        guard case .io(let where2, let why2) = cannotOpen else { Issue.record("\(cannotOpen)"); return }
        #expect(where2 == path + "-search" && why2.contains("cannot open or create"))
        #expect("\(LedgerError.wrap(SQLiteError(code: SQLITE_BUSY, message: "busy"), path: path))".contains("locked by another process"))
    }
}
