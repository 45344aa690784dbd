import CTalkVaultSQLite

/// How durable a commit is in WAL mode (`PRAGMA synchronous`).
public enum Synchronous: String, Sendable {
    /// fsync the WAL on every commit: a committed transaction survives power loss.
    case full = "FULL"
    /// fsync only at checkpoints: survives a process crash, not power loss.
    case normal = "NORMAL"
}

/// Options for opening a database.
public struct OpenOptions: Sendable {
    /// Create the file when it does not exist.
    public var create: Bool
    /// Open for reading only: nothing can write the file through this connection, and closing
    /// it never checkpoints. `create` is ignored.
    public var readOnly: Bool
    /// Milliseconds to wait for a lock held by another connection.
    public var busyTimeoutMilliseconds: Int32
    /// The commit durability.
    public var synchronous: Synchronous
    /// Page cache per connection, in KiB. A bounded cost: it keeps index pages hot, which
    /// made capture 40% faster in the ingest benchmark (64 MiB against the default 2 MiB).
    public var cacheKibibytes: Int
    /// WAL pages before an automatic checkpoint; fewer checkpoints mean fewer DB-file fsyncs.
    public var walAutocheckpointPages: Int

    public init(create: Bool = true, readOnly: Bool = false, busyTimeoutMilliseconds: Int32 = 5_000, synchronous: Synchronous = .full,
                cacheKibibytes: Int = 64 * 1024, walAutocheckpointPages: Int = 10_000) {
        self.create = create
        self.readOnly = readOnly
        self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
        self.synchronous = synchronous
        self.cacheKibibytes = cacheKibibytes
        self.walAutocheckpointPages = walAutocheckpointPages
    }
}

/// A connection to one SQLite database: WAL mode, a busy timeout, foreign keys on, and a cache
/// of prepared statements. Not thread-safe: confine it to one task or actor.
public final class Database {
    let handle: OpaquePointer
    private var cache: [String: Statement] = [:]
    private var savepointDepth = 0
    /// The path the database was opened at.
    public let path: String

    /// Opens (and with `options.create`, creates) the database at `path`.
    public init(path: String, options: OpenOptions = OpenOptions()) throws {
        var db: OpaquePointer?
        // URI names, so that `attach(_:as:readOnly:)` can ask for a read-only attachment.
        var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI
        if options.readOnly {
            flags |= SQLITE_OPEN_READONLY
        } else {
            flags |= SQLITE_OPEN_READWRITE
            if options.create { flags |= SQLITE_OPEN_CREATE }
        }
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let error = SQLiteError(code: rc, db: db)
            sqlite3_close_v2(db)
            throw error
        }
        self.handle = db
        self.path = path
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, options.busyTimeoutMilliseconds)
        // A read-only connection leaves the journal mode as the file has it (a writer set WAL).
        if !options.readOnly {
            try execute("PRAGMA journal_mode=WAL")
            // What a writer deletes or overwrites is zeroed in the page, not left in free
            // space: a purge or an erasure must take the bytes off the disk.
            try execute("PRAGMA secure_delete=ON")
        }
        try execute("PRAGMA synchronous=\(options.synchronous.rawValue)")
        try execute("PRAGMA foreign_keys=ON")
        try execute("PRAGMA cache_size=-\(max(0, options.cacheKibibytes))")
        try execute("PRAGMA wal_autocheckpoint=\(max(0, options.walAutocheckpointPages))")
    }

    /// Attaches the database file at `path` as `schema`. A read-only attachment cannot be
    /// written through this connection whatever its own mode; a read-write one is created when
    /// missing only if this connection may create files.
    public func attach(_ path: String, as schema: String, readOnly: Bool) throws {
        try run("ATTACH DATABASE ?1 AS \(schema)", [.text(Self.uri(path) + (readOnly ? "?mode=ro" : ""))])
    }

    /// `path` as an SQLite URI: the characters a URI gives meaning to are percent-encoded.
    static func uri(_ path: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var bytes = Array("file:".utf8)
        for byte in path.utf8 {
            if byte == UInt8(ascii: "%") || byte == UInt8(ascii: "?") || byte == UInt8(ascii: "#") {
                bytes += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0xf)]]
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    deinit {
        cache.removeAll()
        sqlite3_close_v2(handle)
    }

    /// Runs SQL text that may hold several statements and binds nothing (schema, pragmas).
    public func execute(_ sql: String) throws {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        if rc != SQLITE_OK {
            let message = errorMessage.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_free(errorMessage)
            throw SQLiteError(code: sqlite3_extended_errcode(handle), message: message, statement: sql)
        }
    }

    /// The cached prepared statement for `sql`, preparing it on first use.
    func statement(_ sql: String) throws -> Statement {
        if let cached = cache[sql] { return cached }
        let statement = try Statement(database: self, sql: sql)
        cache[sql] = statement
        return statement
    }

    /// Runs one statement with bound values; returns the number of rows it changed.
    @discardableResult
    public func run(_ sql: String, _ values: [SQLValue] = []) throws -> Int {
        let statement = try statement(sql)
        try statement.bind(values)
        defer { statement.finish() }
        while try statement.step() {}
        return Int(sqlite3_changes64(handle))
    }

    /// Runs a query and calls `body` for each row.
    public func query(_ sql: String, _ values: [SQLValue] = [], _ body: (Row) throws -> Void) throws {
        let statement = try statement(sql)
        try statement.bind(values)
        defer { statement.finish() }
        while try statement.step() {
            try body(Row(handle: statement.handle))
        }
    }

    /// Maps the first row of a query, or returns nil when there is none.
    public func first<T>(_ sql: String, _ values: [SQLValue] = [], _ map: (Row) throws -> T) throws -> T? {
        let statement = try statement(sql)
        try statement.bind(values)
        defer { statement.finish() }
        guard try statement.step() else { return nil }
        return try map(Row(handle: statement.handle))
    }

    /// The first column of the first row as an integer (0 when there is no row).
    public func scalar(_ sql: String, _ values: [SQLValue] = []) throws -> Int64 {
        try first(sql, values) { $0.int64(0) } ?? 0
    }

    /// How many prepared statements are cached (one per distinct SQL text run so far).
    public var cachedStatementCount: Int { cache.count }

    /// The rowid of the last successful INSERT.
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// Runs `body` in a transaction (`BEGIN IMMEDIATE`, so writers queue on the busy timeout
    /// instead of failing mid-transaction). Rolls back when `body` throws.
    /// - Parameter deferred: `BEGIN DEFERRED` instead: a lock is taken only on the databases the
    ///   transaction writes, so a connection with an attached database can write that one while
    ///   only reading its main database (and never take the main one's write lock).
    public func transaction<T>(deferred: Bool = false, _ body: () throws -> T) throws -> T {
        try execute(deferred ? "BEGIN DEFERRED" : "BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// Runs `body` inside a savepoint: its changes are undone alone when it throws, and the
    /// enclosing transaction goes on.
    public func savepoint<T>(_ body: () throws -> T) throws -> T {
        savepointDepth += 1
        defer { savepointDepth -= 1 }
        let name = "sp\(savepointDepth)"
        try execute("SAVEPOINT \(name)")
        do {
            let result = try body()
            try execute("RELEASE \(name)")
            return result
        } catch {
            try? execute("ROLLBACK TO \(name)")
            try? execute("RELEASE \(name)")
            throw error
        }
    }

    /// True while a transaction is open.
    public var inTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// The schema version (`PRAGMA user_version`).
    public var userVersion: Int {
        get throws { Int(try scalar("PRAGMA user_version")) }
    }

    /// Sets the schema version.
    public func setUserVersion(_ version: Int) throws {
        try execute("PRAGMA user_version=\(version)")
    }

    /// What a checkpoint found and did, in WAL frames.
    public struct Checkpoint: Sendable, Equatable {
        /// Frames in the WAL.
        public var logFrames: Int
        /// Frames of those now copied into the database file.
        public var checkpointedFrames: Int
    }

    /// Copies what it can of the WAL into the database file without waiting for readers or the
    /// writer (`SQLITE_CHECKPOINT_PASSIVE`), and fsyncs the file. Returns nil when another
    /// connection's checkpoint holds the lock.
    public func checkpointPassive() throws -> Checkpoint? {
        var logFrames: Int32 = 0
        var checkpointed: Int32 = 0
        let rc = sqlite3_wal_checkpoint_v2(handle, nil, SQLITE_CHECKPOINT_PASSIVE, &logFrames, &checkpointed)
        if rc & 0xff == SQLITE_BUSY { return nil }
        guard rc == SQLITE_OK else { throw SQLiteError(code: sqlite3_extended_errcode(handle), db: handle, statement: "wal_checkpoint(PASSIVE)") }
        return Checkpoint(logFrames: Int(logFrames), checkpointedFrames: Int(checkpointed))
    }

    /// The SQLite library version, e.g. "3.40.1".
    public static var libraryVersion: String { String(cString: sqlite3_libversion()) }
}
