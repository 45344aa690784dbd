import Foundation
import SQLiteDB
import Store
import TalkVaultDomain

/// Tags and legal holds on the SQLite ledger.
public struct LedgerRetention: RetentionStore, LedgerPart {
    let ledger: Ledger

    public func tag(_ tag: String, chats: [String], messages: [String], by who: String, at now: Instant) throws(LedgerError) -> TagResult {
        do {
            return try db.transaction {
                var result = TagResult(tagged: 0, unknown: [])
                for chat in chats {
                    guard try db.scalar("SELECT EXISTS (SELECT 1 FROM chats WHERE chat_id = ?1)", [.text(chat)]) > 0 else {
                        result.unknown.append(chat)
                        continue
                    }
                    result.tagged += try db.run("INSERT OR IGNORE INTO chat_tags(chat_id, tag, added_at_ms, added_by) VALUES (?1, ?2, ?3, ?4)",
                                                [.text(chat), .text(tag), .integer(now.milliseconds), .text(who)])
                }
                for id in messages {
                    guard try db.scalar("SELECT EXISTS (SELECT 1 FROM messages WHERE id = ?1)", [.text(id)]) > 0 else {
                        result.unknown.append(id)
                        continue
                    }
                    result.tagged += try db.run("INSERT OR IGNORE INTO message_tags(message_id, tag, added_at_ms, added_by) VALUES (?1, ?2, ?3, ?4)",
                                                [.text(id), .text(tag), .integer(now.milliseconds), .text(who)])
                }
                return result
            }
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    public func untag(_ tag: String, chats: [String], messages: [String]) throws(LedgerError) -> Int {
        do {
            return try db.transaction {
                var removed = 0
                for chat in chats { removed += try db.run("DELETE FROM chat_tags WHERE chat_id = ?1 AND tag = ?2", [.text(chat), .text(tag)]) }
                for id in messages { removed += try db.run("DELETE FROM message_tags WHERE message_id = ?1 AND tag = ?2", [.text(id), .text(tag)]) }
                return removed
            }
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    public func tags(message id: String) throws(LedgerError) -> [String] {
        try tags("SELECT tag FROM message_tags WHERE message_id = ?1 ORDER BY tag", id)
    }

    public func tags(chat id: String) throws(LedgerError) -> [String] {
        try tags("SELECT tag FROM chat_tags WHERE chat_id = ?1 ORDER BY tag", id)
    }

    private func tags(_ sql: String, _ id: String) throws(LedgerError) -> [String] {
        var tags: [String] = []
        do { try db.query(sql, [.text(id)]) { tags.append($0.text(0)) } } catch { throw LedgerError.wrap(error, path: path) }
        return tags
    }

    public func addHold(_ hold: LegalHold) throws(LedgerError) -> Bool {
        do {
            return try db.run("""
                INSERT INTO holds(name, reason, chats, users, channel, since_ms, until_ms, tag, created_at_ms, created_by)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT(name) DO NOTHING
                """, [.text(hold.name), .text(hold.reason), .text(Self.json(hold.chats)), .text(Self.json(hold.users)), .text(hold.channel),
                      .integer(hold.since?.milliseconds), .integer(hold.until?.milliseconds), .text(hold.tag),
                      .integer(hold.createdAt.milliseconds), .text(hold.createdBy)]) > 0
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    public func holds() throws(LedgerError) -> [LegalHold] {
        do {
            var result: [LegalHold] = []
            try db.query("SELECT * FROM holds ORDER BY released_at_ms IS NOT NULL, name") { row in
                var hold = LegalHold(name: row.text(0), reason: row.text(1), chats: Self.list(row.text(2)), users: Self.list(row.text(3)),
                                     channel: row.optionalText(4), since: row.optionalInt64(5).map(Instant.init(milliseconds:)),
                                     until: row.optionalInt64(6).map(Instant.init(milliseconds:)), tag: row.optionalText(7),
                                     createdAt: Instant(milliseconds: row.int64(8)), createdBy: row.text(9))
                if let at = row.optionalInt64(10) {
                    hold.released = .init(at: Instant(milliseconds: at), by: row.text(11), reason: row.text(12))
                }
                result.append(hold)
            }
            return result
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    public func releaseHold(named name: String, release: LegalHold.Release) throws(LedgerError) -> Bool {
        do {
            return try db.run("""
                UPDATE holds SET released_at_ms = ?2, released_by = ?3, release_reason = ?4 WHERE name = ?1 AND released_at_ms IS NULL
                """, [.text(name), .integer(release.at.milliseconds), .text(release.by), .text(release.reason)]) > 0
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    public func coverage(of hold: LegalHold) throws(LedgerError) -> HoldCoverage {
        let (clause, values) = Self.covers(hold, alias: "m")
        do {
            return try db.first("""
                SELECT count(*), count(DISTINCT m.chat_id), coalesce(sum(m.content_size), 0) FROM messages m WHERE \(clause)
                """, values) { HoldCoverage(messages: $0.int(0), chats: $0.int(1), contentBytes: $0.int64(2)) }
                ?? HoldCoverage(messages: 0, chats: 0, contentBytes: 0)
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    public func userExists(_ userId: String) throws(LedgerError) -> Bool {
        do {
            return try db.scalar("SELECT EXISTS (SELECT 1 FROM profiles WHERE user_id = ?1) OR EXISTS (SELECT 1 FROM chats WHERE chat_id = ?1)",
                                 [.text(userId)]) > 0
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    /// The SQL condition, on messages aliased `alias`, for "covered by `hold`", with its values.
    /// Purge and erasure use it: a message it matches stays.
    static func covers(_ hold: LegalHold, alias m: String) -> (String, [SQLValue]) {
        var clauses: [String] = [], values: [SQLValue] = []
        func bind(_ value: SQLValue) -> String {
            values.append(value)
            return "?\(values.count)"
        }
        if !hold.chats.isEmpty { clauses.append("\(m).chat_id IN (\(hold.chats.map { bind(.text($0)) }.joined(separator: ",")))") }
        if !hold.users.isEmpty {
            let users = hold.users.map { bind(.text($0)) }.joined(separator: ",")
            // A user's side and the account's replies in the user's 1:1 chat.
            clauses.append("(\(m).sender_id IN (\(users)) OR (\(m).chat_type = 'user' AND \(m).chat_id IN (\(users))))")
        }
        if let channel = hold.channel { clauses.append("\(m).channel = \(bind(.text(channel)))") }
        if let since = hold.since { clauses.append("\(m).sent_at_ms >= \(bind(.integer(since.milliseconds)))") }
        if let until = hold.until { clauses.append("\(m).sent_at_ms < \(bind(.integer(until.milliseconds)))") }
        if let tag = hold.tag {
            let t = bind(.text(tag))
            clauses.append("(EXISTS (SELECT 1 FROM message_tags x WHERE x.message_id = \(m).id AND x.tag = \(t)) "
                           + "OR EXISTS (SELECT 1 FROM chat_tags y WHERE y.chat_id = \(m).chat_id AND y.tag = \(t)))")
        }
        return (clauses.isEmpty ? "1" : clauses.joined(separator: " AND "), values)
    }

    private static func json(_ list: [String]) -> String {
        String(decoding: (try? JSONEncoder().encode(list)) ?? Data("[]".utf8), as: UTF8.self)
    }

    private static func list(_ json: String) -> [String] {
        (try? JSONDecoder().decode([String].self, from: Data(json.utf8))) ?? []
    }
}

extension Ledger {
    public var retentionStore: LedgerRetention { LedgerRetention(ledger: self) }
}
