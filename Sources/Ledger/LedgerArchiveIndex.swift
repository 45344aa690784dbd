import ArchiveRecord
import SQLiteDB
import Store
import TalkVaultDomain

/// A row as ordered (column, value) pairs, for tests (`rows`).
typealias Columns = [(name: String, value: SQLValue)]

extension LedgerArchiveIndex {
    /// Messages whose record (and content) should go into the next segment, oldest first:
    /// downloaded content, content-less messages not yet archived, and messages changed since
    /// their record was archived.
    public func packCandidates(limit: Int) throws(LedgerError) -> [ArchivableMessage] {
        do {
            var ids: [String] = []
            try db.query("""
                SELECT m.id FROM messages m
                LEFT JOIN archived_items r ON r.message_id = m.id AND r.part = 'record'
                WHERE (\(StateSQL.from(.archived, column: "m.state", changing: true) { !$0.onlyWithoutContentDue })
                   OR (\(StateSQL.from(.archived, column: "m.state", changing: true) { $0.onlyWithoutContentDue })
                       AND (\(StateSQL.kinds(MessageKind.allCases.filter { !$0.hasContent }, column: "m.kind"))
                       OR EXISTS (SELECT 1 FROM archived_items c WHERE c.message_id = m.id AND c.part = 'content')))
                   OR (\(StateSQL.from(.archived, column: "m.state") { $0.to == $0.from })
                       AND (r.message_id IS NULL OR r.version_ms < m.updated_at_ms)))
                   -- An unmatched chat's rows wait for `import --map` (UnmatchedChat); its backup files do not.
                   AND (\(LedgerImport.held("m")) = 0 OR m.line_type = '\(BackupFileMessage.lineType)')
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
    /// `auditPacked` is kept as `meta.audit_packed_through` ("seq hash [end]").
    public func indexSegment(_ segment: SegmentRow, items: [ArchivedItem], states: [PackedState], auditPacked: AuditPackMark?,
                             at now: Instant) throws(LedgerError) {
        do {
            try db.transaction {
                if let mark = auditPacked {
                    try ledger.setMeta("audit_packed_through", ([String(mark.seq), mark.hash] + (mark.end.map { [String($0)] } ?? [])).joined(separator: " "))
                }
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
                        WHERE id = ?1 AND updated_at_ms <= ?3 AND \(StateSQL.from(.archived))
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

    /// The last audit-log entry a segment holds a copy of; nil before the first (or a value
    /// this version cannot read, which makes the next pack copy the whole log again).
    public func auditPackedThrough() throws(LedgerError) -> AuditPackMark? {
        do {
            guard let value = try db.first("SELECT value FROM meta WHERE key = 'audit_packed_through'", [], { $0.text(0) }) else { return nil }
            let parts = value.split(separator: " ").map(String.init)
            guard parts.count == 2 || parts.count == 3, let seq = Int64(parts[0]) else { return nil }
            return AuditPackMark(seq: seq, hash: parts[1], end: parts.count == 3 ? UInt64(parts[2]) : nil)
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
    /// Rows of `sql` as columns, for tests (`@testable`): the public API speaks domain types.
    func rows(_ sql: String) throws(LedgerError) -> [Columns] {
        do {
            var rows: [Columns] = []
            try db.query(sql) { row in rows.append((0..<row.count).map { (name: row.name($0), value: row.value($0)) }) }
            return rows
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }
}

extension LedgerArchiveIndex {
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
