import Foundation
import SQLiteDB
import Store
import TalkVaultDomain

extension LedgerSearch {
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
