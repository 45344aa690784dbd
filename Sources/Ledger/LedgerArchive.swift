import ArchiveRecord
import SQLiteDB
import TalkVaultDomain

/// A row as ordered (column, value) pairs, for diagnostics and tests (`rows`).
public typealias Columns = [(name: String, value: SQLValue)]

/// A message ready to pack: the record it gets, and its staged download (relative to the data
/// dir), if any.
public struct ArchivableMessage: Sendable {
    public var record: ArchiveRecord
    public var stagedFile: String?

    public init(record: ArchiveRecord, stagedFile: String?) {
        self.record = record
        self.stagedFile = stagedFile
    }
}

/// One indexed segment.
public struct SegmentRow: Sendable, Equatable {
    public var seq: Int
    public var path: String
    public var createdAtMs: Int64
    public var bytes: Int64
    public var fileSHA256: String
    public var contentSHA256: String
    public var previousSHA256: String?
    public var entries: Int
    public var records: Int

    public init(seq: Int, path: String, createdAtMs: Int64, bytes: Int64, fileSHA256: String, contentSHA256: String,
                previousSHA256: String?, entries: Int, records: Int) {
        self.seq = seq
        self.path = path
        self.createdAtMs = createdAtMs
        self.bytes = bytes
        self.fileSHA256 = fileSHA256
        self.contentSHA256 = contentSHA256
        self.previousSHA256 = previousSHA256
        self.entries = entries
        self.records = records
    }
}

/// Where one part of a message is archived.
public struct ArchivedItem: Sendable, Equatable {
    public enum Part: String, Sendable { case record, content }
    public var messageId: String
    public var part: Part
    public var segmentSeq: Int
    public var entryName: String?
    public var memberOffset: Int64
    public var memberLength: Int64
    public var offsetInMember: Int64
    public var length: Int64
    public var sha256: String
    public var versionMs: Int64

    public init(messageId: String, part: Part, segmentSeq: Int, entryName: String?, memberOffset: Int64, memberLength: Int64,
                offsetInMember: Int64, length: Int64, sha256: String, versionMs: Int64) {
        self.messageId = messageId
        self.part = part
        self.segmentSeq = segmentSeq
        self.entryName = entryName
        self.memberOffset = memberOffset
        self.memberLength = memberLength
        self.offsetInMember = offsetInMember
        self.length = length
        self.sha256 = sha256
        self.versionMs = versionMs
    }
}

/// What a packed record says the message became: applied when its segment is indexed.
public struct PackedState: Sendable {
    public var messageId: String
    public var state: MessageState
    public var updatedAtMs: Int64

    public init(messageId: String, state: MessageState, updatedAtMs: Int64) {
        self.messageId = messageId
        self.state = state
        self.updatedAtMs = updatedAtMs
    }
}

extension Ledger {
    /// Messages whose record (and content) should go into the next segment, oldest first:
    /// downloaded content, content-less messages not yet archived, and messages changed since
    /// their record was archived.
    public func packCandidates(limit: Int) throws(LedgerError) -> [ArchivableMessage] {
        do {
            var ids: [String] = []
            try db.query("""
                SELECT m.id FROM messages m
                LEFT JOIN archived_items r ON r.message_id = m.id AND r.part = 'record'
                WHERE m.state = 'downloaded'
                   OR (m.state = 'received' AND (m.kind IN ('text','sticker','location','unknown')
                       OR EXISTS (SELECT 1 FROM archived_items c WHERE c.message_id = m.id AND c.part = 'content')))
                   OR (m.state IN ('archived','lost','unsent') AND (r.message_id IS NULL OR r.version_ms < m.updated_at_ms))
                ORDER BY m.sent_at_ms, m.id LIMIT ?1
                """, [.int(limit)]) { ids.append($0.text(0)) }
            return try ids.compactMap { try archivable(id: $0) }
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    /// The last segment of the chain, if any.
    public func lastSegment() throws(LedgerError) -> SegmentRow? {
        try segments(where: "seq = (SELECT max(seq) FROM segments)").first
    }

    /// Every indexed segment, in chain order.
    public func allSegments() throws(LedgerError) -> [SegmentRow] { try segments(where: "1") }

    private func segments(where condition: String) throws(LedgerError) -> [SegmentRow] {
        do {
            var rows: [SegmentRow] = []
            try db.query("""
                SELECT seq, path, created_at_ms, bytes, file_sha256, content_sha256, previous_sha256, entries, records
                FROM segments WHERE \(condition) ORDER BY seq
                """) { row in
                rows.append(SegmentRow(seq: row.int(0), path: row.text(1), createdAtMs: row.int64(2), bytes: row.int64(3),
                                       fileSHA256: row.text(4), contentSHA256: row.text(5), previousSHA256: row.optionalText(6),
                                       entries: row.int(7), records: row.int(8)))
            }
            return rows
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    /// Indexes a published segment in one transaction: the segment row, where each item is,
    /// and each message's new state. A message changed since it was packed keeps its newer
    /// state, so its record is packed again next time. Staged files of archived content are
    /// deleted by the caller after the commit, then forgotten with `forgetStagedFile`.
    public func indexSegment(_ segment: SegmentRow, items: [ArchivedItem], states: [PackedState], at now: Instant) throws(LedgerError) {
        do {
            try db.transaction {
                try db.run("""
                    INSERT INTO segments(seq, path, created_at_ms, bytes, file_sha256, content_sha256, previous_sha256,
                                         entries, records, indexed_at_ms)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                    """, [.int(segment.seq), .text(segment.path), .integer(segment.createdAtMs), .integer(segment.bytes),
                          .text(segment.fileSHA256), .text(segment.contentSHA256), .text(segment.previousSHA256),
                          .int(segment.entries), .int(segment.records), .integer(now.milliseconds)])
                for item in items {
                    try db.run("""
                        INSERT INTO archived_items(message_id, part, segment_seq, entry_name, member_offset, member_length,
                                                   offset_in_member, length, sha256, version_ms)
                        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                        ON CONFLICT(message_id, part) DO UPDATE SET
                            segment_seq = excluded.segment_seq, entry_name = excluded.entry_name,
                            member_offset = excluded.member_offset, member_length = excluded.member_length,
                            offset_in_member = excluded.offset_in_member, length = excluded.length,
                            sha256 = excluded.sha256, version_ms = excluded.version_ms
                        WHERE excluded.version_ms >= archived_items.version_ms
                        """, [.text(item.messageId), .text(item.part.rawValue), .int(item.segmentSeq), .text(item.entryName),
                              .integer(item.memberOffset), .integer(item.memberLength), .integer(item.offsetInMember),
                              .integer(item.length), .text(item.sha256), .integer(item.versionMs)])
                }
                for state in states {
                    let changed = try db.run("""
                        UPDATE messages SET state = ?2, updated_at_ms = ?3
                        WHERE id = ?1 AND updated_at_ms <= ?3 AND state IN ('received','downloaded','archived','lost','unsent')
                        """, [.text(state.messageId), .text(state.state.rawValue), .integer(state.updatedAtMs)])
                    if changed > 0, state.state == .archived {
                        try db.run("""
                            INSERT INTO message_history(message_id, at_ms, what, detail) VALUES (?1, ?2, 'archived', ?3)
                            ON CONFLICT DO NOTHING
                            """, [.text(state.messageId), .integer(now.milliseconds), .text(segment.path)])
                    }
                }
            }
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    /// Records a verified download waiting in `stagedFile` (relative to the data dir): `content_due → downloaded`.
    public func recordDownload(id: String, stagedFile: String, size: Int64, sha256: String, contentType: String?,
                               at now: Instant) throws(LedgerError) {
        do {
            try db.transaction {
                let changed = try db.run("""
                    UPDATE messages SET state = 'downloaded', staged_file = ?2, content_size = ?3, content_sha256 = ?4,
                           content_type = ?5, updated_at_ms = max(updated_at_ms, ?6)
                    WHERE id = ?1 AND state = 'content_due'
                    """, [.text(id), .text(stagedFile), .integer(size), .text(sha256), .text(contentType), .integer(now.milliseconds)])
                if changed > 0 {
                    try db.run("INSERT INTO message_history(message_id, at_ms, what, detail) VALUES (?1, ?2, 'downloaded', NULL) ON CONFLICT DO NOTHING",
                               [.text(id), .integer(now.milliseconds)])
                }
            }
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    /// Puts a message whose staged file went bad back to `content_due`, to download again.
    public func discardDownload(id: String, at now: Instant, reason: String) throws(LedgerError) {
        do {
            try db.run("""
                UPDATE messages SET state = 'content_due', staged_file = NULL, content_size = NULL, content_sha256 = NULL,
                       updated_at_ms = max(updated_at_ms, ?2)
                WHERE id = ?1 AND state = 'downloaded'
                """, [.text(id), .integer(now.milliseconds)])
            try db.run("INSERT INTO message_history(message_id, at_ms, what, detail) VALUES (?1, ?2, 'download discarded', ?3) ON CONFLICT DO NOTHING",
                       [.text(id), .integer(now.milliseconds), .text(reason)])
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    /// Every archived item, for checks against the manifests.
    public func archivedItems(_ body: (ArchivedItem) throws -> Void) throws(LedgerError) {
        do {
            try db.query("""
                SELECT message_id, part, segment_seq, entry_name, member_offset, member_length, offset_in_member, length,
                       sha256, version_ms FROM archived_items ORDER BY message_id, part
                """) { row in
                try body(ArchivedItem(messageId: row.text(0), part: ArchivedItem.Part(rawValue: row.text(1)) ?? .record,
                                      segmentSeq: row.int(2), entryName: row.optionalText(3), memberOffset: row.int64(4),
                                      memberLength: row.int64(5), offsetInMember: row.int64(6), length: row.int64(7),
                                      sha256: row.text(8), versionMs: row.int64(9)))
            }
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    /// Archived messages that lack a record or content location: the ledger claims more than
    /// the archives hold.
    public func archivedWithoutItems() throws(LedgerError) -> [String] {
        do {
            var ids: [String] = []
            try db.query("""
                SELECT m.id FROM messages m WHERE m.state = 'archived' AND (
                    NOT EXISTS (SELECT 1 FROM archived_items r WHERE r.message_id = m.id AND r.part = 'record')
                    OR (m.kind IN ('image','video','audio','file')
                        AND NOT EXISTS (SELECT 1 FROM archived_items c WHERE c.message_id = m.id AND c.part = 'content')))
                ORDER BY m.id
                """) { ids.append($0.text(0)) }
            return ids
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    /// Forgets a staged file once it is deleted.
    public func forgetStagedFile(id: String) throws(LedgerError) {
        do { try db.run("UPDATE messages SET staged_file = NULL WHERE id = ?1 AND state != 'downloaded'", [.text(id)]) } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    /// Staged files of messages whose content is already archived: left by a crash between
    /// indexing and deleting them.
    public func stagedFilesAlreadyArchived() throws(LedgerError) -> [(id: String, file: String)] {
        do {
            var rows: [(String, String)] = []
            try db.query("""
                SELECT m.id, m.staged_file FROM messages m
                WHERE m.staged_file IS NOT NULL AND m.state != 'downloaded'
                """) { rows.append(($0.text(0), $0.text(1))) }
            return rows.map { (id: $0.0, file: $0.1) }
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }
}

extension Ledger {
    /// Rows of `table` as columns, for comparisons in tests and checks.
    public func rows(_ sql: String) throws(LedgerError) -> [Columns] {
        do {
            var rows: [Columns] = []
            try db.query(sql) { row in rows.append((0..<row.count).map { (name: row.name($0), value: row.value($0)) }) }
            return rows
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }
}

/// Where a message's archived parts are, for restore.
public struct ArchivedParts: Sendable, Equatable {
    public var kind: MessageKind
    public var fileName: String?
    /// The content entry's segment path, entry name, and item location fields.
    public var content: (segment: String, entry: String, item: ArchivedItem)?
    public var record: (segment: String, item: ArchivedItem)?

    public static func == (a: ArchivedParts, b: ArchivedParts) -> Bool {
        a.kind == b.kind && a.fileName == b.fileName && a.content?.item == b.content?.item && a.record?.item == b.record?.item
    }
}

extension Ledger {
    /// The archived parts of message `id`; nil when the ledger does not know it.
    public func archivedParts(id: String) throws(LedgerError) -> ArchivedParts? {
        do {
            guard let head = try db.first("SELECT kind, file_name FROM messages WHERE id = ?1", [.text(id)], {
                (MessageKind(rawValue: $0.text(0)) ?? .unknown, $0.optionalText(1))
            }) else { return nil }
            var parts = ArchivedParts(kind: head.0, fileName: head.1, content: nil, record: nil)
            try db.query("""
                SELECT s.path, a.part, a.segment_seq, a.entry_name, a.member_offset, a.member_length, a.offset_in_member, a.length,
                       a.sha256, a.version_ms
                FROM archived_items a JOIN segments s ON s.seq = a.segment_seq WHERE a.message_id = ?1
                """, [.text(id)]) { row in
                let item = ArchivedItem(messageId: id, part: ArchivedItem.Part(rawValue: row.text(1)) ?? .record, segmentSeq: row.int(2),
                                        entryName: row.optionalText(3), memberOffset: row.int64(4), memberLength: row.int64(5),
                                        offsetInMember: row.int64(6), length: row.int64(7), sha256: row.text(8), versionMs: row.int64(9))
                if item.part == .content {
                    parts.content = (row.text(0), item.entryName ?? "", item)
                } else {
                    parts.record = (row.text(0), item)
                }
            }
            return parts
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }
}
