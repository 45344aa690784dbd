import Foundation
import SQLiteDB
import TalkVaultDomain

/// Everything the ledger knows about one message, for `talkvault show`.
public struct MessageDetail: Sendable {
    public var found: FoundMessage
    public var record: MessageRecord
    public var capturedAt: Instant
    /// The event that defined the message: its id and whether LINE flagged it a redelivery.
    public var eventId: String
    public var contentType: String?
    public var edits: [Edit]
    /// received, redelivered, edited, unsent, downloaded, archived, read, exported, ... by time.
    public var history: [HistoryEntry]
    /// Weekly exports that carried the message, per profile.
    public var exports: [ExportedIn]
    /// The markAsRead call owed to LINE, if any.
    public var readReceipt: ReadReceipt?

    public struct Edit: Sendable, Equatable {
        public var editedAt: Instant
        public var text: String?
    }

    public struct HistoryEntry: Sendable, Equatable {
        public var at: Instant
        public var what: String
        public var detail: String?
    }

    public struct ExportedIn: Sendable, Equatable {
        public var profile: String
        public var week: String
        public var path: String?
    }

    public struct ReadReceipt: Sendable, Equatable {
        public var requestedAt: Instant
        public var attempts: Int
        /// Why the last try failed, while the call is still owed.
        public var lastError: String?
        public var sentAt: Instant?
        /// Why LINE refused the call for good; it is not sent again.
        public var refused: String?
    }
}

extension Ledger {
    /// The detail of message `id`, or nil when the ledger has no such message.
    public func detail(id: String) throws(LedgerError) -> MessageDetail? {
        guard let record = try message(id: id) else { return nil }
        var found: FoundMessage?
        var query = FindQuery()
        query.ids = [id]
        try find(query) { found = $0 }
        guard let found else { return nil }
        do {
            let (capturedAt, eventId, contentType) = try db.first("""
                SELECT m.captured_at_ms, e.event_id, m.content_type FROM messages m JOIN raw_events e ON e.seq = m.event_seq WHERE m.id = ?1
                """, [.text(id)]) { (Instant(milliseconds: $0.int64(0)), $0.text(1), $0.optionalText(2)) }!
            var edits: [MessageDetail.Edit] = []
            try db.query("SELECT edited_at_ms, text FROM message_edits WHERE message_id = ?1 ORDER BY edited_at_ms, event_seq", [.text(id)]) {
                edits.append(.init(editedAt: Instant(milliseconds: $0.int64(0)), text: $0.optionalText(1)))
            }
            var history = [MessageDetail.HistoryEntry(at: capturedAt, what: "received", detail: "event " + eventId)]
            try db.query("SELECT at_ms, what, detail FROM message_history WHERE message_id = ?1 ORDER BY at_ms, seq", [.text(id)]) {
                history.append(.init(at: Instant(milliseconds: $0.int64(0)), what: $0.text(1), detail: $0.optionalText(2)))
            }
            var exports: [MessageDetail.ExportedIn] = []
            try db.query("""
                SELECT x.profile, x.week, d.path, d.exported_at_ms FROM exported_messages x
                LEFT JOIN exports d ON d.week = x.week AND d.profile = x.profile WHERE x.message_id = ?1 ORDER BY x.week, x.profile
                """, [.text(id)]) { row in
                exports.append(.init(profile: row.text(0), week: row.text(1), path: row.optionalText(2)))
                if let at = row.optionalInt64(3) {
                    history.append(.init(at: Instant(milliseconds: at), what: "exported", detail: "\(row.text(1)) (\(row.text(0)))"))
                }
            }
            let receipt = try db.first("""
                SELECT requested_at_ms, attempts, last_error, sent_at_ms, refused_at_ms FROM read_receipts WHERE message_id = ?1
                """, [.text(id)]) {
                let lastError = $0.optionalText(2), refused = $0.optionalInt64(4) != nil
                return MessageDetail.ReadReceipt(requestedAt: Instant(milliseconds: $0.int64(0)), attempts: $0.int(1),
                                                 lastError: refused ? nil : lastError,
                                                 sentAt: $0.optionalInt64(3).map(Instant.init(milliseconds:)), refused: refused ? lastError : nil)
            }
            history.sort { $0.at < $1.at }   // stable: same-instant entries keep their order
            return MessageDetail(found: found, record: record, capturedAt: capturedAt, eventId: eventId, contentType: contentType,
                                 edits: edits, history: history, exports: exports, readReceipt: receipt)
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }
}
