import SQLiteDB
import Store
import TalkVaultDomain

extension LedgerReadState {
    /// Marks messages read by `who` at `now`, and queues the markAsRead calls LINE is owed.
    /// The first read wins: marking again changes nothing.
    public func markRead(ids: [String], by who: String, at now: Instant) throws(LedgerError) -> MarkReadResult {
        do {
            return try db.transaction {
                var result = MarkReadResult()
                for id in ids {
                    guard let row = try db.first("SELECT read_at_ms, mark_as_read_token FROM messages WHERE id = ?1", [.text(id)], {
                        ($0.optionalInt64(0), $0.optionalText(1))
                    }) else {
                        result.unknown.append(id)
                        continue
                    }
                    guard row.0 == nil else {
                        result.alreadyRead.append(id)
                        continue
                    }
                    try db.run("UPDATE messages SET read_at_ms = ?2, read_by = ?3, updated_at_ms = max(updated_at_ms, ?2) WHERE id = ?1",
                               [.text(id), .integer(now.milliseconds), .text(who)])
                    try db.run("INSERT INTO message_history(message_id, at_ms, what, detail) VALUES (?1, ?2, 'read', ?3) ON CONFLICT DO NOTHING",
                               [.text(id), .integer(now.milliseconds), .text(who)])
                    if let token = row.1, !token.isEmpty {
                        try db.run("INSERT INTO read_receipts(message_id, token, requested_at_ms) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
                                   [.text(id), .text(token), .integer(now.milliseconds)])
                        result.receiptsQueued += 1
                    }
                    result.marked.append(id)
                }
                return result
            }
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    /// LINE marks messages read itself (`markAsReadMode: auto`): every message not yet read
    /// counts as read when it arrived. Returns how many were marked.
    @discardableResult
    public func markAutoRead() throws(LedgerError) -> Int {
        do {
            return try db.run("UPDATE messages SET read_at_ms = captured_at_ms, read_by = 'line:auto' WHERE read_at_ms IS NULL")
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    /// Marks read every unmarked message of `channel`; returns how many.
    public func markAutoRead(channel: String) throws(LedgerError) -> Int {
        do {
            return try db.run("UPDATE messages SET read_at_ms = captured_at_ms, read_by = 'line:auto' WHERE read_at_ms IS NULL AND channel = ?1",
                              [.text(channel)])
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    /// The chat's messages sent up to `until` (of `channel`, or of every channel when nil), oldest first.
    public func messageIds(chat: String, until: Instant, channel: String?) throws(LedgerError) -> [(id: String, channel: String)] {
        do {
            var ids: [(id: String, channel: String)] = []
            try db.query("""
                SELECT id, channel FROM messages WHERE chat_id = ?1 AND sent_at_ms <= ?2 AND (?3 IS NULL OR channel = ?3)
                ORDER BY sent_at_ms, id
                """, [.text(chat), .integer(until.milliseconds), channel.map { .text($0) } ?? .null]) { ids.append(($0.text(0), $0.text(1))) }
            return ids
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    /// markAsRead calls still owed to LINE, oldest first: not yet acknowledged, and not refused.
    public func pendingReceipts(limit: Int) throws(LedgerError) -> [ReadReceipt] {
        do {
            var receipts: [ReadReceipt] = []
            try db.query("""
                SELECT r.message_id, r.token, r.attempts, coalesce(m.channel, 'default') FROM read_receipts r
                LEFT JOIN messages m ON m.id = r.message_id
                WHERE r.sent_at_ms IS NULL AND r.refused_at_ms IS NULL
                ORDER BY r.requested_at_ms, r.message_id LIMIT ?1
                """, [.int(limit)]) {
                receipts.append(ReadReceipt(messageId: $0.text(0), token: $0.text(1), attempts: $0.int(2), channel: $0.text(3)))
            }
            return receipts
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    /// Records how a markAsRead call ended: sent; refused by LINE (kept with its reason and
    /// never sent again); or failed (kept for the next try).
    public func recordReceipt(id: String, _ result: ReceiptResult, at now: Instant) throws(LedgerError) {
        do {
            switch result {
            case .sent:
                try db.run("UPDATE read_receipts SET sent_at_ms = ?2, attempts = attempts + 1, last_error = NULL WHERE message_id = ?1",
                           [.text(id), .integer(now.milliseconds)])
            case .refused(let reason):
                try db.run("UPDATE read_receipts SET attempts = attempts + 1, last_error = ?2, refused_at_ms = ?3 WHERE message_id = ?1",
                           [.text(id), .text(reason), .integer(now.milliseconds)])
            case .failed(let error):
                try db.run("UPDATE read_receipts SET attempts = attempts + 1, last_error = ?2 WHERE message_id = ?1", [.text(id), .text(error)])
            }
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }
}
