import Foundation
@testable import Ledger
import Lookup
import Store
import SQLiteDB
import TalkVaultDomain
import Testing
import LedgerTestSupport
import TestSupport

/// Migration v6 rewrites IN-list constraints in `sqlite_schema`; these check it on a ledger
/// that already holds rows, as an upgrade meets it.
@Suite struct MigrationTests {
    /// A ledger at schema v5 with one received text message.
    private static func v5Ledger(_ dir: TempDir) throws -> String {
        let path = dir.file("ledger.sqlite3")
        let db = try Database(path: path)
        try db.migrate(upTo: 5)
        try db.run("INSERT INTO chats(chat_id, chat_type, first_seen_ms) VALUES ('U1', 'user', 1)")
        try db.run("""
            INSERT INTO raw_events(event_id, type, timestamp_ms, received_at_ms, redelivered, disposition, fingerprint, body)
            VALUES ('e1', 'message', 1, 1, 0, 'message', 'f', '{}')
            """)
        try insertMessage(db, id: "m1", kind: "text", state: "received")
        return path
    }

    private static func insertMessage(_ db: Database, id: String, kind: String, state: String) throws {
        try db.run("""
            INSERT INTO messages(id, kind, line_type, chat_type, chat_id, sent_at_ms, deadline_ms, state, origin,
                                 event_seq, captured_at_ms, updated_at_ms)
            VALUES (?1, ?2, 'text', 'user', 'U1', 1, 1000, ?3, 'message', 1, 1, 1)
            """, [.text(id), .text(kind), .text(state)])
    }

    @Test func v6KeepsTheRowsAndTheConstraintsWithoutInLists() throws {
        let dir = TempDir()
        let path = try Self.v5Ledger(dir)
        let db = try Database(path: path)
        try db.migrate(upTo: 6)

        #expect(try db.userVersion == 6)
        #expect(try db.first("PRAGMA integrity_check") { $0.text(0) } == "ok")
        #expect(try db.scalar("SELECT count(*) FROM messages WHERE id = 'm1'") == 1)
        try db.query("SELECT name, sql FROM sqlite_schema WHERE name IN ('raw_events', 'chats', 'messages', 'messages_pending_deadline')") {
            let sql = $0.text(1)
            for column in ["disposition", "chat_type", "kind", "state"] {
                #expect(!sql.contains("\(column) IN ("), "\($0.text(0)) still has an IN list on \(column)")
            }
        }
        // The constraints still refuse what they refused.
        for (kind, state) in [("bogus", "received"), ("text", "bogus")] {
            #expect(throws: SQLiteError.self) { try Self.insertMessage(db, id: "m-\(kind)-\(state)", kind: kind, state: state) }
        }
        #expect(throws: SQLiteError.self) {
            try db.run("INSERT INTO chats(chat_id, chat_type, first_seen_ms) VALUES ('C1', 'channel', 1)")
        }
        try Self.insertMessage(db, id: "m2", kind: "file", state: "content_due")
    }

    @Test func thePendingQueriesStillUseThePartialIndex() throws {
        let dir = TempDir()
        let db = try Database(path: try Self.v5Ledger(dir))
        try db.migrate()
        var plan: [String] = []
        try db.query("EXPLAIN QUERY PLAN SELECT id FROM messages WHERE \(LedgerStatus.pendingStates) AND deadline_ms <= 5 ORDER BY deadline_ms") {
            plan.append($0.text(3))
        }
        #expect(plan.contains { $0.contains("messages_pending_deadline") }, "plan: \(plan)")
    }

    @Test func aSchemaAlteredByHandIsRefusedAndLeftAsItWas() throws {
        let dir = TempDir()
        let path = try Self.v5Ledger(dir)
        let db = try Database(path: path)
        // raw_events is rewritten last, after chats and messages: their rewrites must be undone.
        let version = try db.scalar("PRAGMA schema_version")
        try db.execute("""
            BEGIN; PRAGMA writable_schema=ON;
            UPDATE sqlite_schema SET sql = replace(sql, 'CHECK (disposition IN', 'CHECK (disposition  IN') WHERE name = 'raw_events';
            PRAGMA schema_version=\(version + 1); PRAGMA writable_schema=OFF; COMMIT;
            """)
        #expect(throws: LedgerError.self) { try db.migrate() }
        #expect(try db.userVersion == 5)
        #expect(!db.inTransaction)
        let messagesSQL = try db.first("SELECT sql FROM sqlite_schema WHERE name = 'messages'") { $0.text(0) }
        #expect(messagesSQL?.contains("state IN (") == true, "the failed migration was rolled back")
        #expect(try db.first("PRAGMA writable_schema") { $0.int64(0) } == 0)
    }

    /// v8 moves find's indexes out of the ledger: an upgraded ledger's messages are found by the
    /// first find, which builds the new index from all of them, and edits after it are seen.
    @Test func v8MovesFindsIndexOutAndTheFirstFindBuildsItFromEveryMessage() throws {
        let dir = TempDir()
        let path = try Self.v5Ledger(dir)
        do {
            let db = try Database(path: path)
            try db.migrate(upTo: 6)
            try db.run("UPDATE messages SET text = '予約の確認' WHERE id = 'm1'")
            try Self.insertMessage(db, id: "m2", kind: "text", state: "received")
            try db.run("UPDATE messages SET text = '予約の変更' WHERE id = 'm2'")
            #expect(try db.scalar("SELECT count(*) FROM message_search_pending") == 2)
        }
        let ledger = try Ledger.opened(path: path, policy: .lineDefaults, create: false, applyingInbox: false)
        #expect(try ledger.db.userVersion == Migrations.all.count)
        #expect(try ledger.db.scalar("SELECT count(*) FROM sqlite_schema WHERE name LIKE 'message_search%' OR name = 'message_lookup'") == 0)
        #expect(try ledger.db.first("SELECT value FROM meta WHERE key = 'ledger_id'") { $0.text(0) }?.count == 32)
        var query = FindQuery()
        query.text = "予約の"
        #expect(try Finder.count(ledger.searchStore, query) == 2)
        #expect(FileManager.default.fileExists(atPath: path + "-search"))
        #expect(try ledger.searchStore.lookupBacklog() == 0)
        try ledger.db.run("UPDATE messages SET text = '取消' WHERE id = 'm2'")
        #expect(try ledger.searchStore.lookupBacklog() == 1)
        #expect(try Finder.count(ledger.searchStore, query) == 1)
        // The change log shrinks to what the index has not taken in.
        try ledger.searchStore.pruneIndexedChanges()
        #expect(try ledger.db.scalar("SELECT count(*) FROM message_changes") == 0)
        // A deleted index file is built again from every message.
        let reopened = try Ledger.opened(path: path, policy: .lineDefaults, create: false, applyingInbox: false)
        try FileManager.default.removeItem(atPath: path + "-search")
        query.text = "取消"
        #expect(try Finder.count(reopened.searchStore, query) == 1)
    }

    /// A reader never upgrades: an older schema is refused, named, and left as it was; a
    /// writer's `migrate()` upgrades it, and the reader then opens it.
    @Test func aReaderRefusesAnOlderSchemaAndAWriterUpgradesIt() throws {
        let dir = TempDir()
        let path = try Self.v5Ledger(dir)
        do {
            _ = try Ledger(path: path, policy: .lineDefaults, access: .readOnly)
            Issue.record("a read-only open of a v5 ledger succeeded")
        } catch {
            guard case .schemaOutdated(_, let found, let current) = error else { throw error }
            #expect(found == 5 && current == Migrations.all.count)
            #expect(error.description.contains("a command that writes"))
        }
        #expect(try Database(path: path).userVersion == 5, "the reader changed nothing")
        try Ledger(path: path, policy: .lineDefaults, access: .readWrite(create: false)).migrate()
        let reader = try Ledger(path: path, policy: .lineDefaults, access: .readOnly)
        #expect(try reader.searchStore.message(id: "m1")?.state == .received)
    }
}
