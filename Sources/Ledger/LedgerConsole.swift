import SQLiteDB
import Store
import TalkVaultDomain

/// The console's reads on the SQLite ledger.
public struct LedgerConsole: ConsoleStore, LedgerPart { let ledger: Ledger }

extension Ledger {
    /// The console's reads of this ledger.
    public var consoleStore: LedgerConsole { LedgerConsole(ledger: self) }
}

extension LedgerConsole {
    /// Chats, the one with the newest message first (chats without messages last, the most
    /// recently seen first), ties by id. `nameContaining` (nil or empty for all) is a substring of
    /// the name (a group's, or a 1:1 chat's customer's display name) or the id, ASCII case folded.
    public func chats(nameContaining: String?, limit: Int, offset: Int) throws(LedgerError) -> [ChatSummary] {
        var condition = "1"
        var values: [SQLValue] = [.int(max(0, limit)), .int(max(0, offset))]
        if let needle = nameContaining, !needle.isEmpty {
            values.append(.text(LedgerSearch.likePattern(needle)))
            condition = "coalesce(c.name, p.display_name) LIKE ?3 ESCAPE '\\' OR c.chat_id LIKE ?3 ESCAPE '\\'"
        }
        return try read { try summaries(where: condition, values) }
    }

    /// The chat's summary, or nil for a chat the ledger does not know.
    public func chat(id: String) throws(LedgerError) -> ChatSummary? {
        try read { try summaries(where: "c.chat_id = ?3", [.int(1), .int(0), .text(id)]).first }
    }

    /// A page of the chat, oldest first: its messages, and the tombstones of those a purge
    /// removed (a message whose purge is still under way shows as the message). Every page is
    /// a range of the (chat_id, sent_at_ms) indexes from its cursor, never an offset, and reads
    /// one more item than it shows so `hasOlder` and `hasNewer` are exact. A `limit` below 1
    /// counts as 1; `around` an id this chat does not hold is the newest page.
    public func conversation(chatId: String, at position: ConversationPosition, limit: Int) throws(LedgerError) -> ConversationPage {
        let limit = max(1, limit)
        return try read {
            switch position {
            case .newest:
                return try newest(chatId, limit: limit)
            case .before(let cursor):
                let older = try items(chatId, Side(newer: false, from: cursor), count: limit + 1)
                // The cursor's own item, if still there, is newer than the page.
                let newer = try items(chatId, Side(newer: true, from: cursor, inclusive: true), count: 1)
                return ConversationPage(items: Array(older.prefix(limit).reversed()), hasOlder: older.count > limit, hasNewer: !newer.isEmpty)
            case .after(let cursor):
                let newer = try items(chatId, Side(newer: true, from: cursor), count: limit + 1)
                let older = try items(chatId, Side(newer: false, from: cursor, inclusive: true), count: 1)
                return ConversationPage(items: Array(newer.prefix(limit)), hasOlder: !older.isEmpty, hasNewer: newer.count > limit)
            case .around(let messageId):
                guard let target = try cursor(of: messageId, in: chatId) else { return try newest(chatId, limit: limit) }
                // Up to a page on each side, so a short side leaves its room to the other.
                let older = try items(chatId, Side(newer: false, from: target), count: limit + 1)
                let newer = try items(chatId, Side(newer: true, from: target, inclusive: true), count: limit + 1)
                let after = min(newer.count, limit - min(limit / 3, older.count))
                let before = min(older.count, limit - after)
                return ConversationPage(items: Array(older.prefix(before).reversed()) + newer.prefix(after),
                                        hasOlder: older.count > before, hasNewer: newer.count > after)
            }
        }
    }

    /// Messages lost at or after `since`, per channel and reason. A loss happened at the `at_ms`
    /// of its `message_history` row `lost: REASON` (the content queue writes it as it gives up;
    /// `show` lists it); a message that arrived lost (a backup import's `not_captured` row) has
    /// none, and was lost as it was captured (`captured_at_ms`). `status` counts every loss
    /// whenever it was. The candidates are a range of `messages_lost` on `updated_at_ms`, which a
    /// loss sets to at least its own time and later changes only raise.
    public func lostCounts(since: Instant) throws(LedgerError) -> [String: [String: Int]] {
        try read {
            var counts: [String: [String: Int]] = [:]
            try db.query(Self.lostSQL, [.integer(since.milliseconds)]) { counts[$0.text(0), default: [:]][$0.text(1)] = $0.int(2) }
            return counts
        }
    }
}

extension LedgerConsole {
    /// One side of a place in a chat, read nearest first: older (descending) or newer
    /// (ascending) than `from`, which is itself included or not; with no `from`, from the end.
    struct Side {
        var newer: Bool
        var from: PageCursor?
        var inclusive = false

        var order: String { newer ? "ASC" : "DESC" }

        /// ` AND (sent, id) > (?2, ?3)` (or <, >=, <=), or nothing without a cursor.
        func range(sent: String, id: String) -> String {
            guard from != nil else { return "" }
            return " AND (\(sent), \(id)) \(newer ? ">" : "<")\(inclusive ? "=" : "") (?2, ?3)"
        }

        /// The values of `sql(side)`: the chat, the cursor if any, and how many rows.
        func values(chatId: String, count: Int) -> [SQLValue] {
            [.text(chatId)] + (from.map { [.integer($0.sentAt.milliseconds), .text($0.id)] } ?? []) + [.int(count)]
        }

        /// Whether `a` comes before `b` in this side's order.
        func precedes(_ a: PageCursor, _ b: PageCursor) -> Bool { newer ? Self.older(a, b) : Self.older(b, a) }

        /// The conversation's order: send time, then id as SQLite's BINARY collation has it (bytes).
        static func older(_ a: PageCursor, _ b: PageCursor) -> Bool {
            a.sentAt != b.sentAt ? a.sentAt < b.sentAt : a.id.utf8.lexicographicallyPrecedes(b.id.utf8)
        }
    }

    /// A chat's messages on one side, as `find` lists them: a range of `messages_by_chat_sent`.
    static func messagesSQL(_ side: Side) -> String {
        LedgerSearch.foundSelect + """

            WHERE m.chat_id = ?1\(side.range(sent: "m.sent_at_ms", id: "m.id"))
            ORDER BY m.sent_at_ms \(side.order), m.id \(side.order)
            LIMIT ?\(side.from == nil ? 2 : 4)
            """
    }

    /// A chat's tombstones on one side whose message is gone: a range of `tombstones_by_chat_sent`.
    static func tombstonesSQL(_ side: Side) -> String {
        """
        SELECT t.message_id, t.sent_at_ms FROM tombstones t
        WHERE t.chat_id = ?1\(side.range(sent: "t.sent_at_ms", id: "t.message_id"))
          AND NOT EXISTS (SELECT 1 FROM messages x WHERE x.id = t.message_id)
        ORDER BY t.sent_at_ms \(side.order), t.message_id \(side.order)
        LIMIT ?\(side.from == nil ? 2 : 4)
        """
    }

    /// Chats with the send time of their newest message (one step down `messages_by_chat_sent`
    /// each), in the list's order; ?1 limit, ?2 offset, ?3 free for `condition`.
    static func chatsSQL(where condition: String) -> String {
        """
        SELECT c.chat_id, c.chat_type, coalesce(c.name, p.display_name), c.channel,
               (SELECT max(sent_at_ms) FROM messages WHERE chat_id = c.chat_id) AS last_ms
        FROM chats c
        -- A 1:1 chat is named for its customer: LINE gives a group a name, a user a display name.
        LEFT JOIN profiles p ON p.user_id = c.chat_id AND p.chat_id = ''
        WHERE \(condition)
        ORDER BY last_ms DESC NULLS LAST, CASE WHEN last_ms IS NULL THEN c.first_seen_ms END DESC, c.chat_id
        LIMIT ?1 OFFSET ?2
        """
    }

    static let lostSQL = """
        SELECT m.channel, m.reason, count(*) FROM messages m
        WHERE m.state = 'lost' AND m.updated_at_ms >= ?1
          AND coalesce((SELECT max(h.at_ms) FROM message_history h WHERE h.message_id = m.id AND h.what = 'lost: ' || m.reason),
                       m.captured_at_ms) >= ?1
        GROUP BY m.channel, m.reason
        """

    /// The chat's newest `limit` items.
    func newest(_ chatId: String, limit: Int) throws -> ConversationPage {
        let older = try items(chatId, Side(newer: false), count: limit + 1)
        return ConversationPage(items: Array(older.prefix(limit).reversed()), hasOlder: older.count > limit, hasNewer: false)
    }

    /// Up to `count` items of the chat on `side`, nearest first: as many from each table, merged.
    func items(_ chatId: String, _ side: Side, count: Int) throws -> [ConversationItem] {
        let values = side.values(chatId: chatId, count: count)
        var messages: [FoundMessage] = []
        try db.query(Self.messagesSQL(side), values) { messages.append(LedgerSearch.found($0)) }
        var purged: [PageCursor] = []
        try db.query(Self.tombstonesSQL(side), values) { purged.append(PageCursor(sentAt: Instant(milliseconds: $0.int64(1)), id: $0.text(0))) }
        var items: [ConversationItem] = []
        var m = messages.makeIterator(), t = purged.makeIterator()
        var nextMessage = m.next(), nextPurged = t.next()
        while items.count < count {
            if let message = nextMessage, nextPurged.map({ side.precedes(ConversationItem.message(message).cursor, $0) }) ?? true {
                items.append(.message(message))
                nextMessage = m.next()
            } else if let tombstone = nextPurged {
                // Only those shown are read whole, by the purge's own reader.
                if let read = try ledger.purgeStore.tombstone(id: tombstone.id) { items.append(.purged(read)) }
                nextPurged = t.next()
            } else {
                break
            }
        }
        return items
    }

    /// Where the message, or its tombstone, is in the chat; nil if the chat holds no such id.
    func cursor(of messageId: String, in chatId: String) throws -> PageCursor? {
        try db.first("""
            SELECT sent_at_ms FROM messages WHERE id = ?1 AND chat_id = ?2
            UNION ALL SELECT sent_at_ms FROM tombstones WHERE message_id = ?1 AND chat_id = ?2
            LIMIT 1
            """, [.text(messageId), .text(chatId)]) { PageCursor(sentAt: Instant(milliseconds: $0.int64(0)), id: messageId) }
    }

    /// The chats `condition` picks, in the list's order, each with its count and newest message.
    func summaries(where condition: String, _ values: [SQLValue]) throws -> [ChatSummary] {
        var chats: [ChatSummary] = []
        try db.query(Self.chatsSQL(where: condition), values) {
            chats.append(ChatSummary(chatId: $0.text(0), chatType: $0.text(1), name: $0.optionalText(2), channel: $0.text(3),
                                     messages: 0, lastMessage: nil))
        }
        for index in chats.indices {
            let id = chats[index].chatId
            // A range count of `messages_by_chat_sent`, for the page's chats alone.
            chats[index].messages = Int(try db.scalar("SELECT count(*) FROM messages WHERE chat_id = ?1", [.text(id)]))
            let newest = Side(newer: false)
            chats[index].lastMessage = try db.first(Self.messagesSQL(newest), newest.values(chatId: id, count: 1), LedgerSearch.found)
        }
        return chats
    }

    /// `body` on one snapshot of the ledger (a savepoint outside a transaction is a read
    /// transaction), so a page's queries agree though a writer commits between them.
    private func read<T>(_ body: () throws -> T) throws(LedgerError) -> T {
        do { return try db.savepoint(body) } catch { throw LedgerError.wrap(error, path: path) }
    }
}
