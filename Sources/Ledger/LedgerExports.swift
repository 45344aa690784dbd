import SQLiteDB
import Store
import TalkVaultDomain

extension LedgerExports {
    /// The columns `exportRow` reads, and the joins they need; `find` adds its own after them.
    static let messageRowColumns = """
        m.id, m.sent_at_ms, m.chat_type, m.chat_id, c.name, m.sender_id, coalesce(p.display_name, m.sender_name), m.kind, m.text,
        m.file_name, e.body, m.state, m.reason, m.edited, s.path, a.entry_name, m.content_sha256, m.read_at_ms, m.channel,
        m.direction, m.source
        """
    static let messageRowJoins = """
        FROM messages m
        JOIN raw_events e ON e.seq = m.event_seq
        LEFT JOIN chats c ON c.chat_id = m.chat_id
        LEFT JOIN profiles p ON p.user_id = m.sender_id AND p.chat_id = CASE WHEN m.chat_type = 'user' THEN '' ELSE m.chat_id END
        LEFT JOIN archived_items a ON a.message_id = m.id AND a.part = 'content'
        LEFT JOIN segments s ON s.seq = a.segment_seq
        """
    static let exportSelect = "SELECT " + messageRowColumns + "\n" + messageRowJoins + "\n"
    /// What an export never carries: a backup file's own message, and an unmatched chat's rows
    /// (they wait for `import --map`, and would otherwise be exported under a provisional chat).
    /// Nor a message a purge or an erasure has decided to remove (its rows may already be gone
    /// from the delivered weeks).
    static let notExported = "m.line_type != '\(BackupFileMessage.lineType)' AND \(LedgerImport.held("m")) = 0"
        + " AND NOT EXISTS (SELECT 1 FROM tombstones t WHERE t.message_id = m.id)"

    static func exportRow(_ row: Row) -> ExportRow {
        var exported = ExportRow(id: row.text(0), sentAt: Instant(milliseconds: row.int64(1)), chatType: row.text(2), chatId: row.text(3),
                  chatName: row.optionalText(4), senderId: row.optionalText(5), senderName: row.optionalText(6),
                  kind: MessageKind(rawValue: row.text(7)) ?? .unknown, text: row.optionalText(8), fileName: row.optionalText(9),
                  eventJSON: row.text(10), state: MessageState(rawValue: row.text(11)) ?? .received, reason: row.optionalText(12),
                  edited: row.int(13) != 0, contentSegment: row.optionalText(14), contentEntry: row.optionalText(15),
                  contentSHA256: row.optionalText(16), readAt: row.optionalInt64(17).map(Instant.init(milliseconds:)))
        exported.channel = row.text(18)
        exported.direction = MessageDirection(rawValue: row.text(19)) ?? .incoming
        exported.source = MessageSource(rawValue: row.text(20)) ?? .webhook
        return exported
    }

    /// The week's messages read by `readBy`, oldest first, streamed; those already exported in
    /// another week are left out.
    public func weekRows(start: Instant, end: Instant, readBy: Instant, channel: String, profile: String, week: String,
                         _ body: (ExportRow) throws -> Void) throws(LedgerError) {
        let key = ExportKey.profile(profile, channel: channel)
        do {
            try db.query(Self.exportSelect + """
                 WHERE m.sent_at_ms >= ?1 AND m.sent_at_ms < ?2 AND m.read_at_ms IS NOT NULL AND m.read_at_ms <= ?3 AND m.channel = ?6
                   AND \(Self.notExported)
                   AND NOT EXISTS (SELECT 1 FROM exported_messages x WHERE x.message_id = m.id AND x.profile = ?4 AND x.week != ?5)
                 ORDER BY m.sent_at_ms, m.id
                """, [.integer(start.milliseconds), .integer(end.milliseconds), .integer(readBy.milliseconds), .text(key), .text(week),
                      .text(channel)]) {
                try body(Self.exportRow($0))
            }
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    /// Messages sent before `start`, read by `readBy`, and never exported: candidates for the
    /// late rows of the next export, oldest first, streamed.
    public func lateCandidates(before start: Instant, readBy: Instant, channel: String, profile: String, week: String,
                               _ body: (ExportRow) throws -> Void) throws(LedgerError) {
        let key = ExportKey.profile(profile, channel: channel)
        do {
            // Rows this week already carried (a forced rewrite) count as not yet exported.
            try db.query(Self.exportSelect + """
                 WHERE m.sent_at_ms < ?1 AND m.read_at_ms IS NOT NULL AND m.read_at_ms <= ?2 AND m.channel = ?5
                   AND \(Self.notExported)
                   AND NOT EXISTS (SELECT 1 FROM exported_messages x WHERE x.message_id = m.id AND x.profile = ?3 AND x.week != ?4)
                 ORDER BY m.sent_at_ms, m.id
                """, [.integer(start.milliseconds), .integer(readBy.milliseconds), .text(key), .text(week), .text(channel)]) {
                try body(Self.exportRow($0))
            }
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    /// Unread messages of the week, counted per chat.
    public func unreadCounts(start: Instant, end: Instant, readBy: Instant, channel: String) throws(LedgerError) -> [String: Int] {
        do {
            var counts: [String: Int] = [:]
            try db.query("""
                SELECT chat_id, count(*) FROM messages WHERE sent_at_ms >= ?1 AND sent_at_ms < ?2 AND channel = ?4
                  AND (read_at_ms IS NULL OR read_at_ms > ?3) GROUP BY chat_id
                """, [.integer(start.milliseconds), .integer(end.milliseconds), .integer(readBy.milliseconds), .text(channel)]) {
                counts[$0.text(0)] = $0.int(1)
            }
            return counts
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    /// The week's lost items: id, kind, reason.
    public func lostItems(start: Instant, end: Instant, channel: String) throws(LedgerError) -> [(id: String, kind: String, reason: String)] {
        do {
            var items: [(String, String, String)] = []
            try db.query("""
                SELECT id, kind, reason FROM messages WHERE sent_at_ms >= ?1 AND sent_at_ms < ?2 AND state = 'lost' AND channel = ?3
                ORDER BY sent_at_ms, id
                """, [.integer(start.milliseconds), .integer(end.milliseconds), .text(channel)]) { items.append(($0.text(0), $0.text(1), $0.text(2))) }
            return items.map { (id: $0.0, kind: $0.1, reason: $0.2) }
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    /// The channels that have messages, by name.
    public func channelsWithMessages() throws(LedgerError) -> [String] {
        do {
            var names: [String] = []
            try db.query("SELECT DISTINCT channel FROM messages ORDER BY channel") { names.append($0.text(0)) }
            return names
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    /// Weeks already delivered for `profile` (an `ExportKey`).
    public func deliveredWeeks(profile: String) throws(LedgerError) -> [String: DeliveredExport] {
        do {
            var weeks: [String: DeliveredExport] = [:]
            try db.query("SELECT week, path, sha256, rows, purge_rule FROM exports WHERE profile = ?1", [.text(profile)]) {
                weeks[$0.text(0)] = DeliveredExport(path: $0.text(1), sha256: $0.text(2), rows: $0.int(3), purgedUnder: $0.optionalText(4))
            }
            return weeks
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    /// Records a delivered week in one transaction: the export, and the week each of its
    /// messages went out in (the week's own rows by the same condition, plus the late ones).
    public func recordExport(week: String, channel: String, profile: String, start: Instant, end: Instant, readBy: Instant, lateIds: [String],
                             delivered: DeliveredExport, at now: Instant) throws(LedgerError) {
        let profile = ExportKey.profile(profile, channel: channel)
        do {
            try db.transaction {
                try db.run("""
                    INSERT INTO exports(week, profile, path, sha256, rows, exported_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                    ON CONFLICT(week, profile) DO UPDATE SET path = excluded.path, sha256 = excluded.sha256, rows = excluded.rows,
                        exported_at_ms = excluded.exported_at_ms
                    """, [.text(week), .text(profile), .text(delivered.path), .text(delivered.sha256), .int(delivered.rows), .integer(now.milliseconds)])
                try db.run("""
                    INSERT OR IGNORE INTO exported_messages(message_id, profile, week)
                    SELECT id, ?4, ?5 FROM messages WHERE sent_at_ms >= ?1 AND sent_at_ms < ?2 AND read_at_ms IS NOT NULL AND read_at_ms <= ?3
                      AND channel = ?6
                    """, [.integer(start.milliseconds), .integer(end.milliseconds), .integer(readBy.milliseconds), .text(profile), .text(week),
                          .text(channel)])
                for id in lateIds {
                    try db.run("INSERT OR IGNORE INTO exported_messages(message_id, profile, week) VALUES (?1, ?2, ?3)",
                               [.text(id), .text(profile), .text(week)])
                }
            }
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }
}
