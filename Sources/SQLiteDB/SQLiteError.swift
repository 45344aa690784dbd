import CTalkVaultSQLite

/// An error from SQLite. It names the result code and the statement, never a bound value,
/// so chat text cannot reach a log through it.
public struct SQLiteError: Error, CustomStringConvertible, Sendable {
    /// The extended SQLite result code.
    public let code: Int32
    /// SQLite's own message (`sqlite3_errmsg`), which never contains bound parameters.
    public let message: String
    /// The statement text (placeholders only), shortened.
    public let statement: String?

    /// The primary result code (`SQLITE_BUSY`, `SQLITE_FULL`, ...).
    public var primaryCode: Int32 { code & 0xff }
    /// True when the disk or the database file is full.
    public var isDiskFull: Bool { primaryCode == SQLITE_FULL }
    /// True when another connection holds a lock past the busy timeout.
    public var isBusy: Bool { primaryCode == SQLITE_BUSY || primaryCode == SQLITE_LOCKED }
    /// True for a UNIQUE, CHECK, FOREIGN KEY or NOT NULL violation.
    public var isConstraint: Bool { primaryCode == SQLITE_CONSTRAINT }
    /// The file is damaged, or not an SQLite database at all.
    public var isCorrupt: Bool { primaryCode == SQLITE_CORRUPT || primaryCode == SQLITE_NOTADB }
    /// The file, or what SQLite must write beside it (`-wal`, `-shm`), is not writable.
    public var isReadOnly: Bool { primaryCode == SQLITE_READONLY }
    /// The file could not be opened or created (a missing or unwritable directory, say).
    public var isCannotOpen: Bool { primaryCode == SQLITE_CANTOPEN }

    init(code: Int32, message: String, statement: String? = nil) {
        self.code = code
        self.message = message
        self.statement = statement.map { String($0.prefix(120)) }
    }

    init(code: Int32, db: OpaquePointer?, statement: String? = nil) {
        let message = db.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
            ?? String(cString: sqlite3_errstr(code))
        self.init(code: code, message: message, statement: statement)
    }

    public var description: String {
        var text = "SQLite error \(code): \(message)"
        if let statement { text += " (in: \(statement))" }
        return text
    }
}
