import Foundation
import SQLiteDB
import Store
import TalkVaultDomain

/// Segment rewrites (a purge) on the SQLite ledger.
extension LedgerArchiveIndex {
    public func indexRewrite(_ segment: SegmentRow, kept: [ArchivedItem], rewrite: SegmentRewriteRow) throws(LedgerError) {
        do {
            try db.transaction {
                try db.run("""
                    UPDATE segments SET path = ?2, bytes = ?3, file_sha256 = ?4, content_sha256 = ?5, entries = ?6, records = ?7
                    WHERE seq = ?1
                    """, [.int(segment.seq), .text(segment.path), .integer(segment.bytes), .text(segment.fileSHA256),
                          .text(segment.contentSHA256), .int(segment.entries), .int(segment.records)])
                // Only rows that point into this segment move: a newer copy elsewhere stays the latest.
                for item in kept {
                    try db.run("""
                        UPDATE archived_items SET member_offset = ?4, member_length = ?5, offset_in_member = ?6, length = ?7, sha256 = ?8,
                                                  entry_name = coalesce(?9, entry_name)
                        WHERE message_id = ?1 AND part = ?2 AND segment_seq = ?3
                        """, [.text(item.messageId), .text(item.part.rawValue), .int(segment.seq), .integer(item.memberOffset),
                              .integer(item.memberLength), .integer(item.offsetInMember), .integer(item.length), .text(item.sha256),
                              .text(item.entryName)])
                }
                for id in rewrite.removedMessages {
                    try db.run("DELETE FROM archived_items WHERE message_id = ?1 AND segment_seq = ?2", [.text(id), .int(segment.seq)])
                }
                let removed = String(decoding: try JSONEncoder().encode(rewrite.removedMessages), as: UTF8.self)
                try db.run("""
                    INSERT INTO segment_rewrites(seq, at_ms, old_path, old_sha256, new_path, new_sha256, removed)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                    """, [.int(rewrite.seq), .integer(rewrite.atMs), .text(rewrite.oldPath), .text(rewrite.oldSHA256),
                          .text(rewrite.newPath), .text(rewrite.newSHA256), .text(removed)])
            }
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    public func replacedSegmentPaths() throws(LedgerError) -> Set<String> {
        do {
            var paths = Set<String>()
            try db.query("SELECT old_path FROM segment_rewrites") { paths.insert($0.text(0)) }
            // A path a later rewrite or pack took again is a live segment, not a leftover.
            try db.query("SELECT path FROM segments") { paths.remove($0.text(0)) }
            return paths
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }
}
