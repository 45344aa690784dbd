import Foundation
import SQLiteDB
import Store
import TalkVaultDomain

/// Purge and erasure on the SQLite ledger.
public struct LedgerPurge: PurgeStore, LedgerPart {
    let ledger: Ledger

    static let candidateColumns = """
        m.id, m.kind, m.chat_type, m.chat_id, m.sender_id, m.channel, m.direction, m.sent_at_ms, m.state, m.unsent_at_ms,
        coalesce(m.content_size, 0), m.line_type = '\(BackupFileMessage.lineType)',

        (SELECT group_concat(tag, char(10)) FROM (SELECT tag FROM message_tags WHERE message_id = m.id
                                                  UNION SELECT tag FROM chat_tags WHERE chat_id = m.chat_id))
        """

    public func purgeCandidates(_ body: (PurgeCandidate) throws -> Void) throws(LedgerError) {
        try candidates(where: "1", [], body)
    }

    public func candidates(ofUser user: String, _ body: (PurgeCandidate) throws -> Void) throws(LedgerError) {
        // The same scope as a hold's --user: what they sent, and both sides of their 1:1 chat.
        try candidates(where: "m.sender_id = ?1 OR (m.chat_type = 'user' AND m.chat_id = ?1)", [.text(user)], body)
    }

    private func candidates(where condition: String, _ values: [SQLValue], _ body: (PurgeCandidate) throws -> Void) throws(LedgerError) {
        do {
            try db.query("SELECT \(Self.candidateColumns) FROM messages m WHERE \(condition)", values) { row in
                guard let kind = MessageKind(rawValue: row.text(1)), let chatType = ChatType(rawValue: row.text(2)),
                      let state = MessageState(rawValue: row.text(8)) else { return }
                try body(PurgeCandidate(
                    id: row.text(0), kind: kind, chat: ChatRef(type: chatType, id: row.text(3)), senderId: row.optionalText(4),
                    channel: row.text(5), direction: MessageDirection(rawValue: row.text(6)) ?? .incoming,
                    sentAt: Instant(milliseconds: row.int64(7)), state: state, unsentAt: row.optionalInt64(9).map(Instant.init(milliseconds:)),
                    contentBytes: row.int64(10), tags: row.optionalText(12)?.split(separator: "\n").map(String.init) ?? [],
                    isBackupFile: row.int(11) != 0))
            }
        } catch let error as LedgerError {
            throw error
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    public func candidates(ids: [String], _ body: (PurgeCandidate) throws -> Void) throws(LedgerError) {
        for chunk in SQLLists.chunks(ids) {
            try candidates(where: "m.id IN (\(SQLLists.placeholders(chunk.count)))", chunk.map { .text($0) }, body)
        }
    }

    public func cancelTombstones(_ ids: [String]) throws(LedgerError) {
        do {
            for chunk in SQLLists.chunks(ids) {
                try db.run("DELETE FROM tombstones WHERE done = 0 AND message_id IN (\(SQLLists.placeholders(chunk.count)))", chunk.map { .text($0) })
            }
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    public func scrubErasedPeople() throws(LedgerError) {
        var people: [String] = []
        do {
            try db.query("""
                SELECT DISTINCT person FROM (
                    SELECT sender_id AS person FROM tombstones WHERE action = 'erase' AND sender_id IS NOT NULL
                    UNION SELECT chat_id FROM tombstones WHERE action = 'erase' AND chat_type = 'user')
                -- Only people with something left to take (cheap, indexed), then none of their messages left.
                WHERE (EXISTS (SELECT 1 FROM profiles WHERE user_id = person) OR EXISTS (SELECT 1 FROM profile_names WHERE user_id = person)
                       OR EXISTS (SELECT 1 FROM chats WHERE chat_id = person AND name IS NOT NULL))
                  AND NOT EXISTS (SELECT 1 FROM messages WHERE sender_id = person OR chat_id = person)
                """) { people.append($0.text(0)) }
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
        for person in people { try scrubPerson(person) }
    }

    public func messageCount() throws(LedgerError) -> Int {
        do { return Int(try db.scalar("SELECT count(*) FROM messages")) } catch { throw LedgerError.wrap(error, path: path) }
    }

    public func recordTombstones(_ tombstones: [Tombstone]) throws(LedgerError) {
        do {
            try db.transaction {
                for t in tombstones {
                    try db.run("""
                        INSERT INTO tombstones(message_id, kind, chat_type, chat_id, sender_id, channel, direction, sent_at_ms, unsent_at_ms,
                                               action, rule, purged_at_ms, content_bytes, done)
                        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 0) ON CONFLICT(message_id) DO NOTHING
                        """, [.text(t.messageId), .text(t.kind.rawValue), .text(t.chat.type.rawValue), .text(t.chat.id), .text(t.senderId),
                              .text(t.channel), .text(t.direction.rawValue), .integer(t.sentAt.milliseconds),
                              .integer(t.unsentAt?.milliseconds), .text(t.action.rawValue), .text(t.rule),
                              .integer(t.purgedAt.milliseconds), .integer(t.contentBytes)])
                }
            }
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    public func pendingPurges() throws(LedgerError) -> [String: String] {
        do {
            var pending: [String: String] = [:]
            try db.query("SELECT message_id, rule FROM tombstones WHERE done = 0") { pending[$0.text(0)] = $0.text(1) }
            return pending
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    public func pendingContentBytes() throws(LedgerError) -> Int64 {
        do { return try db.scalar("SELECT coalesce(sum(content_bytes), 0) FROM tombstones WHERE done = 0") } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    public func stagedFiles(of ids: [String]) throws(LedgerError) -> [(id: String, file: String)] {
        var files: [(id: String, file: String)] = []
        do {
            for chunk in SQLLists.chunks(ids) {
                try db.query("SELECT id, staged_file FROM messages WHERE staged_file IS NOT NULL AND id IN (\(SQLLists.placeholders(chunk.count)))",
                             chunk.map { .text($0) }) { files.append(($0.text(0), $0.text(1))) }
            }
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
        return files
    }

    public func scrub(_ ids: [String]) throws(LedgerError) {
        try scrubSetAside(Set(ids))
        do {
            for chunk in SQLLists.chunks(ids) {
                try db.transaction {
                    let list = SQLLists.placeholders(chunk.count), values = chunk.map { SQLValue.text($0) }
                    // The events keep their ids (a redelivery stays a duplicate), not their bodies;
                    // nor do the conflicting copies kept beside them.
                    try db.run("""
                        UPDATE event_conflicts SET body = '' WHERE event_id IN (SELECT event_id FROM raw_events WHERE seq IN (
                            SELECT event_seq FROM messages WHERE id IN (\(list))
                            UNION SELECT event_seq FROM message_edits WHERE message_id IN (\(list))
                            UNION SELECT event_seq FROM unsends WHERE message_id IN (\(list))))
                        """, values)
                    try db.run("""
                        UPDATE raw_events SET body = '' WHERE seq IN (
                            SELECT event_seq FROM messages WHERE id IN (\(list))
                            UNION SELECT event_seq FROM message_edits WHERE message_id IN (\(list))
                            UNION SELECT event_seq FROM unsends WHERE message_id IN (\(list)))
                        """, values)
                    for table in ["message_edits", "unsends", "message_history", "message_tags", "archived_items", "exported_messages",
                                  "read_receipts", "import_files"] {
                        try db.run("DELETE FROM \(table) WHERE message_id IN (\(list))", values)
                    }
                    try db.run("DELETE FROM messages WHERE id IN (\(list))", values)
                    try db.run("UPDATE tombstones SET done = 1 WHERE message_id IN (\(list))", values)
                    // Until `compact` has run, the WAL and the search cache may still hold what went.
                    try db.run("INSERT INTO meta(key, value) VALUES ('purge_compact_owed', '1') ON CONFLICT(key) DO NOTHING")
                }
            }
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    /// Bodies kept aside whole, which hold whatever events they carried: a relay dead letter
    /// that holds a purged message is dropped (its other events can no longer be relayed), and
    /// a rejected body that names one loses its bytes and says why.
    private func scrubSetAside(_ ids: Set<String>) throws(LedgerError) {
        do {
            for table in ["relay_dead", "inbox_rejected"] {
                var hits: [Int64] = []
                try db.query("SELECT seq, body FROM \(table)") { row in
                    if Self.messageIds(in: row.blob(1) ?? []).contains(where: ids.contains) { hits.append(row.int64(0)) }
                }
                for seq in hits {
                    if table == "relay_dead" {
                        try db.run("DELETE FROM relay_dead WHERE seq = ?1", [.integer(seq)])
                    } else {
                        try db.run("UPDATE inbox_rejected SET body = X'', problem = problem || ' (body removed by a purge)' WHERE seq = ?1",
                                   [.integer(seq)])
                    }
                }
            }
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    /// Every `"id":"…"` value in a webhook body: message ids among them.
    static func messageIds(in body: [UInt8]) -> [String] {
        body.ranges(of: Array(#""id":""#.utf8)).compactMap { key in
            body[key.upperBound...].firstIndex(of: UInt8(ascii: "\"")).map { String(decoding: body[key.upperBound..<$0], as: UTF8.self) }
        }
    }

    /// Takes a person's profile and names out of the ledger.
    func scrubPerson(_ user: String) throws(LedgerError) {
        do {
            try db.transaction {
                try db.run("DELETE FROM profiles WHERE user_id = ?1", [.text(user)])
                try db.run("DELETE FROM profile_names WHERE user_id = ?1", [.text(user)])
                try db.run("DELETE FROM import_names WHERE chat_id = ?1", [.text(user)])
                try db.run("DELETE FROM chat_tags WHERE chat_id = ?1", [.text(user)])
                try db.run("UPDATE chats SET name = NULL WHERE chat_id = ?1", [.text(user)])
            }
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    public func compact() throws(LedgerError) -> Bool {
        do {
            if try db.first("SELECT value FROM meta WHERE key = 'purge_vacuumed'", [], { $0.text(0) }) == nil {
                // VACUUM's temporary database takes the connection's cache size: kept small.
                try db.execute("PRAGMA cache_size=-8192")
                try db.execute("VACUUM")
                try db.run("INSERT INTO meta(key, value) VALUES ('purge_vacuumed', '1') ON CONFLICT(key) DO NOTHING")
            }
            var busy = true
            try db.query("PRAGMA wal_checkpoint(TRUNCATE)") { busy = $0.int(0) != 0 }
            // The search index is a cache of the text: dropped whole, and built again by the next `find`.
            for suffix in ["", "-wal", "-shm"] { unlink(ledger.searchIndexPath + suffix) }
            if !busy { try db.run("DELETE FROM meta WHERE key = 'purge_compact_owed'") }
            return !busy
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    public func compactionOwed() throws(LedgerError) -> Bool {
        do { return try db.scalar("SELECT count(*) FROM meta WHERE key = 'purge_compact_owed'") > 0 } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    public func tombstone(id: String) throws(LedgerError) -> Tombstone? {
        do {
            return try db.first("""
                SELECT message_id, kind, chat_type, chat_id, sender_id, channel, direction, sent_at_ms, unsent_at_ms, action, rule,
                       purged_at_ms, content_bytes, done FROM tombstones WHERE message_id = ?1
                """, [.text(id)]) { row in
                Tombstone(messageId: row.text(0), kind: MessageKind(rawValue: row.text(1)) ?? .unknown,
                          chat: ChatRef(type: ChatType(rawValue: row.text(2)) ?? .user, id: row.text(3)), senderId: row.optionalText(4),
                          channel: row.text(5), direction: MessageDirection(rawValue: row.text(6)) ?? .incoming,
                          sentAt: Instant(milliseconds: row.int64(7)), unsentAt: row.optionalInt64(8).map(Instant.init(milliseconds:)),
                          action: PurgeAction(rawValue: row.text(9)) ?? .purge, rule: row.text(10),
                          purgedAt: Instant(milliseconds: row.int64(11)), contentBytes: row.int64(12), done: row.int(13) != 0)
            }
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    public func purgeTotals() throws(LedgerError) -> (messages: Int, bytes: Int64, erasures: Int) {
        do {
            return try db.first("""
                SELECT count(*), coalesce(sum(content_bytes), 0), count(*) FILTER (WHERE action = 'erase') FROM tombstones
                """) { ($0.int(0), $0.int64(1), $0.int(2)) } ?? (0, 0, 0)
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    public func exportedMessageIds(week: String, profile: String) throws(LedgerError) -> [String] {
        do {
            var ids: [String] = []
            try db.query("SELECT message_id FROM exported_messages WHERE week = ?1 AND profile = ?2", [.text(week), .text(profile)]) {
                ids.append($0.text(0))
            }
            return ids
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    public func deliveredFiles() throws(LedgerError) -> [DeliveredFile] {
        do {
            var files: [DeliveredFile] = []
            try db.query("SELECT week, profile, path, exported_at_ms FROM exports WHERE purged_at_ms IS NULL ORDER BY week, profile") {
                files.append(DeliveredFile(week: $0.text(0), profile: $0.text(1), path: $0.text(2), exportedAt: Instant(milliseconds: $0.int64(3))))
            }
            return files
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    public func markExportPurged(week: String, profile: String, rule: String, at now: Instant) throws(LedgerError) {
        do {
            try db.run("UPDATE exports SET purged_at_ms = ?3, purge_rule = ?4 WHERE week = ?1 AND profile = ?2",
                       [.text(week), .text(profile), .integer(now.milliseconds), .text(rule)])
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

}

extension Ledger {
    public var purgeStore: LedgerPurge { LedgerPurge(ledger: self) }
}
