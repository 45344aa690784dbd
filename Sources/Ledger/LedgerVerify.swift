import ArchiveRecord
import SQLiteDB
import Store

extension LedgerArchiveIndex {
    /// Message `id`'s row as its record would hold it, for comparing the two; nil when the
    /// ledger has no row for it.
    public func recordedRow(id: String) throws(LedgerError) -> RecordedRow? {
        do {
            guard var row = try db.first("SELECT * FROM messages WHERE id = ?1", [.text(id)], { RowValues($0) }) else { return nil }
            let message = RecordRows.message(&row)
            return RecordedRow(message: message, unrecordable: Set(row.invalid.compactMap(RecordRows.field(column:))))
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    /// True when a message's text is neither its latest edit nor, without edits, its original:
    /// capture keeps it one or the other (see `refreshText`), so anything else was written by hand.
    public func textDisagreesWithEdits(id: String) throws(LedgerError) -> Bool {
        do {
            return try db.scalar("""
                SELECT count(*) FROM messages m WHERE m.id = ?1 AND m.text IS NOT COALESCE(
                    (SELECT e.text FROM message_edits e WHERE e.message_id = ?1 AND e.text IS NOT NULL
                     ORDER BY e.edited_at_ms DESC, e.text DESC LIMIT 1), m.original_text)
                """, [.text(id)]) > 0
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    /// Where the ledger says one part of a message is archived; nil when it says nowhere.
    public func archivedItem(messageId: String, part: ArchivedItem.Part) throws(LedgerError) -> ArchivedItem? {
        do {
            return try db.first("""
                SELECT segment_seq, entry_name, member_offset, member_length, offset_in_member, length, sha256, version_ms
                FROM archived_items WHERE message_id = ?1 AND part = ?2
                """, [.text(messageId), .text(part.rawValue)]) { row in
                ArchivedItem(messageId: messageId, part: part, segmentSeq: row.int(0), entryName: row.optionalText(1),
                             memberOffset: row.int64(2), memberLength: row.int64(3), offsetInMember: row.int64(4), length: row.int64(5),
                             sha256: row.text(6), versionMs: row.int64(7))
            }
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }
}
