import CTalkVaultSQLite

/// A prepared statement. The database caches these, so each SQL text is prepared once.
public final class Statement {
    let handle: OpaquePointer
    let sql: String
    private unowned let database: Database

    init(database: Database, sql: String) throws {
        var stmt: OpaquePointer?
        let rc = sql.withCString { sqlite3_prepare_v3(database.handle, $0, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil) }
        guard rc == SQLITE_OK, let stmt else {
            throw SQLiteError(code: rc, db: database.handle, statement: sql)
        }
        self.handle = stmt
        self.sql = sql
        self.database = database
    }

    deinit { sqlite3_finalize(handle) }

    /// Binds values in order to `?1`, `?2`, …; text and blobs are bound with explicit lengths,
    /// so text containing NUL survives.
    func bind(_ values: [SQLValue]) throws {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let rc: Int32
            switch value {
            case .null:
                rc = sqlite3_bind_null(handle, index)
            case .integer(let v):
                rc = sqlite3_bind_int64(handle, index, v)
            case .real(let v):
                rc = sqlite3_bind_double(handle, index, v)
            case .text(var s):
                rc = s.withUTF8 { buf in
                    // An empty buffer may have no base address, and SQLite reads NULL as SQL NULL.
                    guard let base = buf.baseAddress else {
                        return sqlite3_bind_text64(handle, index, "", 0, ctv_sqlite_transient(), UInt8(SQLITE_UTF8))
                    }
                    return base.withMemoryRebound(to: CChar.self, capacity: buf.count) {
                        sqlite3_bind_text64(handle, index, $0, UInt64(buf.count), ctv_sqlite_transient(), UInt8(SQLITE_UTF8))
                    }
                }
            case .blob(let bytes):
                rc = bytes.withUnsafeBytes { buf in
                    sqlite3_bind_blob64(handle, index, buf.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, UInt64(buf.count), ctv_sqlite_transient())
                }
            }
            guard rc == SQLITE_OK else { throw SQLiteError(code: rc, db: database.handle, statement: sql) }
        }
    }

    /// Steps once: true while a row is available.
    func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let error = SQLiteError(code: sqlite3_extended_errcode(database.handle), db: database.handle, statement: sql)
            sqlite3_reset(handle)
            throw error
        }
    }

    /// Releases bindings so bound text is not kept alive longer than needed.
    func finish() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }
}

/// The current row of a query. Valid only inside the closure it was passed to.
public struct Row {
    let handle: OpaquePointer

    /// Number of columns.
    public var count: Int { Int(sqlite3_column_count(handle)) }

    /// True when the column is NULL.
    public func isNull(_ column: Int) -> Bool {
        sqlite3_column_type(handle, Int32(column)) == SQLITE_NULL
    }

    /// The column as an integer (0 for NULL).
    public func int64(_ column: Int) -> Int64 { sqlite3_column_int64(handle, Int32(column)) }

    /// The column as an `Int` (0 for NULL).
    public func int(_ column: Int) -> Int { Int(int64(column)) }

    /// The column as an integer, or nil for NULL.
    public func optionalInt64(_ column: Int) -> Int64? { isNull(column) ? nil : int64(column) }

    /// The column as a double.
    public func double(_ column: Int) -> Double { sqlite3_column_double(handle, Int32(column)) }

    /// The column as text, read with its byte length so NUL survives ("" for NULL).
    public func text(_ column: Int) -> String { optionalText(column) ?? "" }

    /// The column as text, or nil for NULL.
    public func optionalText(_ column: Int) -> String? {
        let index = Int32(column)
        guard sqlite3_column_type(handle, index) != SQLITE_NULL else { return nil }
        guard let pointer = sqlite3_column_text(handle, index) else { return "" }
        let length = Int(sqlite3_column_bytes(handle, index))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: length), as: UTF8.self)
    }

    /// The column as whatever type it holds.
    public func value(_ column: Int) -> SQLValue {
        switch sqlite3_column_type(handle, Int32(column)) {
        case SQLITE_NULL: return .null
        case SQLITE_INTEGER: return .integer(int64(column))
        case SQLITE_FLOAT: return .real(double(column))
        case SQLITE_BLOB: return .blob(blob(column) ?? [])
        default: return .text(text(column))
        }
    }

    /// The column's name in the result.
    public func name(_ column: Int) -> String {
        sqlite3_column_name(handle, Int32(column)).map { String(cString: $0) } ?? ""
    }

    /// The column as bytes, or nil for NULL.
    public func blob(_ column: Int) -> [UInt8]? {
        let index = Int32(column)
        guard sqlite3_column_type(handle, index) != SQLITE_NULL else { return nil }
        let length = Int(sqlite3_column_bytes(handle, index))
        guard length > 0, let pointer = sqlite3_column_blob(handle, index) else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: length))
    }
}
