import SQLiteDB

/// Holds a ledger's write lock from this process until released, as a long command would.
public final class SQLiteHolder: @unchecked Sendable {
    private let db: Database

    public init(path: String) throws {
        db = try Database(path: path, options: OpenOptions(create: false))
        try db.execute("BEGIN IMMEDIATE")
    }

    public func release() { try? db.execute("ROLLBACK") }
}
