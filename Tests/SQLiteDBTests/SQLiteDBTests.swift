import Foundation
import SQLiteDB
import Testing
import TestSupport

@Suite struct SQLiteDBTests {
    let dir = TempDir()

    func open() throws -> Database {
        let db = try Database(path: dir.file("test.sqlite3"))
        try db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT, b BLOB, UNIQUE(s))")
        return db
    }

    @Test func textContainingNULSurvivesARoundTrip() throws {
        let db = try open()
        let text = "前\u{0}後\u{0}\u{0}end"
        try db.run("INSERT INTO t(s) VALUES (?1)", [.text(text)])
        let back = try db.first("SELECT s, length(CAST(s AS BLOB)) FROM t") { ($0.text(0), $0.int(1)) }
        #expect(back?.0 == text)
        #expect(back?.1 == text.utf8.count)
    }

    @Test func blobsAndEmptyTextRoundTrip() throws {
        let db = try open()
        try db.run("INSERT INTO t(s, b) VALUES (?1, ?2)", [.text(""), .blob([0, 1, 2, 255])])
        let back = try db.first("SELECT s, b, s IS NULL FROM t") { ($0.optionalText(0), $0.blob(1), $0.int(2)) }
        #expect(back?.0 == "")
        #expect(back?.1 == [0, 1, 2, 255])
        #expect(back?.2 == 0)
    }

    @Test func opensInWALModeWithForeignKeys() throws {
        let db = try open()
        #expect(try db.first("PRAGMA journal_mode") { $0.text(0) } == "wal")
        #expect(try db.scalar("PRAGMA foreign_keys") == 1)
        #expect(try db.scalar("PRAGMA synchronous") == 2) // FULL
        #expect(try db.scalar("PRAGMA cache_size") == -65_536)
        #expect(try db.scalar("PRAGMA wal_autocheckpoint") == 10_000)
    }

    @Test func aFailedTransactionLeavesNothing() throws {
        let db = try open()
        try db.run("INSERT INTO t(s) VALUES ('kept')")
        #expect(throws: SQLiteError.self) {
            try db.transaction {
                try db.run("INSERT INTO t(s) VALUES ('gone')")
                try db.run("INSERT INTO t(s) VALUES ('kept')") // UNIQUE violation
            }
        }
        #expect(try db.scalar("SELECT count(*) FROM t") == 1)
        #expect(!db.inTransaction)
    }

    @Test func aSavepointRollsBackAloneInsideATransaction() throws {
        let db = try open()
        try db.transaction {
            try db.run("INSERT INTO t(s) VALUES ('a')")
            _ = try? db.savepoint { try db.run("INSERT INTO t(s) VALUES ('b')"); try db.run("INSERT INTO t(s) VALUES ('a')") }
            try db.run("INSERT INTO t(s) VALUES ('c')")
        }
        var values: [String] = []
        try db.query("SELECT s FROM t ORDER BY s") { values.append($0.text(0)) }
        #expect(values == ["a", "c"])
    }

    @Test func errorsNameTheStatementButNeverABoundValue() throws {
        let db = try open()
        let secret = "お客様の秘密のメッセージ"
        try db.run("INSERT INTO t(s) VALUES (?1)", [.text(secret)])
        do {
            try db.run("INSERT INTO t(s) VALUES (?1)", [.text(secret)])
            Issue.record("expected a constraint error")
        } catch let error as SQLiteError {
            #expect(error.isConstraint)
            #expect(!error.description.contains(secret))
            #expect(error.description.contains("UNIQUE"))
        }
    }

    @Test func preparedStatementsAreReusedAcrossCalls() throws {
        let db = try open()
        let before = db.cachedStatementCount
        for i in 0..<1_000 { try db.run("INSERT INTO t(s) VALUES (?1)", [.text("row \(i)")]) }
        #expect(db.cachedStatementCount == before + 1)
        for i in 0..<10 { #expect(try db.scalar("SELECT count(*) FROM t WHERE s = ?1", [.text("row \(i)")]) == 1) }
        #expect(db.cachedStatementCount == before + 2)
    }

    @Test func openingWithoutCreateFailsForAMissingFile() {
        #expect(throws: SQLiteError.self) {
            _ = try Database(path: dir.file("missing.sqlite3"), options: OpenOptions(create: false))
        }
    }
}
