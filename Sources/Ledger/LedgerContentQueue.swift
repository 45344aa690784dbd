import SQLiteDB
import Store
import TalkVaultDomain

extension LedgerContentQueue {
    /// Messages whose content is due, earliest deadline first (ties by send time, then id).
    /// `until` keeps those due by then; `kinds` narrows to some kinds.
    public func dueContent(limit: Int?, kinds: Set<MessageKind>, until: Instant?) throws(LedgerError) -> [DueContent] {
        do {
            var items: [DueContent] = []
            try db.query("""
                SELECT id, kind, sent_at_ms, deadline_ms, coalesce(content_provider, 'line'), content_url, file_size, channel
                FROM messages WHERE \(StateSQL.from(.downloaded)) AND deadline_ms <= ?1
                  -- An imported backup file's bytes come from the import, never from LINE.
                  AND line_type != '\(BackupFileMessage.lineType)'
                ORDER BY deadline_ms, sent_at_ms, id
                """, [.integer(until?.milliseconds ?? Int64.max)]) { row in
                let kind = MessageKind(rawValue: row.text(1)) ?? .unknown
                guard kinds.isEmpty || kinds.contains(kind) else { return }
                items.append(DueContent(id: row.text(0), kind: kind, sentAt: Instant(milliseconds: row.int64(2)),
                                        deadline: Instant(milliseconds: row.int64(3)), provider: row.text(4),
                                        url: row.optionalText(5), fileSize: row.optionalInt64(6), channel: row.text(7)))
            }
            if let limit { return Array(items.prefix(limit)) }
            return items
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    /// `content_due → lost(reason)`; false when the message was no longer due.
    @discardableResult
    public func markLost(id: String, reason: LossReason, at now: Instant, detail: String) throws(LedgerError) -> Bool {
        try transition(id: id, from: StateSQL.from(.lost), to: "lost", reason: reason.rawValue, what: "lost: \(reason.rawValue)", detail: detail, at: now)
    }

    /// LINE answered 410 ("gone"): `unsent` after an unsend event or before the deadline,
    /// `lost(expired)` after the deadline with no unsend seen (see `GoneContent`). Returns the
    /// transition made, or nil when the message was no longer due.
    @discardableResult
    public func markGone(id: String, at now: Instant) throws(LedgerError) -> Transition? {
        let found: (deadline: Int64, unsendSeen: Bool)?
        do {
            found = try db.first("""
                SELECT deadline_ms, unsent_at_ms IS NOT NULL OR EXISTS (SELECT 1 FROM unsends u WHERE u.message_id = m.id)
                FROM messages m WHERE id = ?1 AND \(Self.goneFrom)
                """, [.text(id)]) { ($0.int64(0), $0.int64(1) != 0) }
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
        guard let found else { return nil }
        let verdict = GoneContent.transition(unsendSeen: found.unsendSeen, deadline: Instant(milliseconds: found.deadline), now: now)
        let changed: Bool
        switch verdict {
        case .lost(let reason):
            changed = try transition(id: id, from: Self.goneFrom, to: "lost", reason: reason.rawValue, what: "lost: \(reason.rawValue)",
                                     detail: "410 from the content API after the deadline, and no unsend event", at: now)
        default:
            changed = try transition(id: id, from: Self.goneFrom, to: "unsent", reason: nil, what: "unsent", detail: "410 from the content API", at: now)
        }
        return changed ? verdict : nil
    }

    /// What a 410 may change: it ends in `unsent` or `lost`, so only states both start from.
    static let goneFrom = StateSQL.from(.unsent, .lost)

    /// Notes a download attempt that will be retried, for `show`.
    public func noteAttempt(id: String, at now: Instant, detail: String) throws(LedgerError) {
        do {
            try db.run("INSERT INTO message_history(message_id, at_ms, what, detail) VALUES (?1, ?2, 'download retried', ?3) ON CONFLICT DO NOTHING",
                       [.text(id), .integer(now.milliseconds), .text(detail)])
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    private func transition(id: String, from: String, to state: String, reason: String?, what: String, detail: String, at now: Instant) throws(LedgerError) -> Bool {
        do {
            return try db.transaction {
                let changed = try db.run("""
                    UPDATE messages SET state = ?2, reason = ?3, unsent_at_ms = CASE WHEN ?2 = 'unsent' THEN coalesce(unsent_at_ms, ?4) ELSE unsent_at_ms END,
                           updated_at_ms = max(updated_at_ms, ?4)
                    WHERE id = ?1 AND \(from)
                    """, [.text(id), .text(state), .text(reason), .integer(now.milliseconds)])
                if changed > 0 {
                    try db.run("INSERT INTO message_history(message_id, at_ms, what, detail) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
                               [.text(id), .integer(now.milliseconds), .text(what), .text(detail)])
                }
                return changed > 0
            }
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    /// Bytes of downloads waiting in the staging dir to be packed.
    public func stagedBytes() throws(LedgerError) -> Int64 {
        do {
            return try db.scalar("SELECT coalesce(sum(content_size), 0) FROM messages WHERE state = 'downloaded'")
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    /// Messages whose staged download waits to be packed: every other staged file is left
    /// over from a sweep that died before recording it, and is deleted.
    public func downloadedIds() throws(LedgerError) -> Set<String> {
        do {
            var ids = Set<String>()
            try db.query("SELECT id FROM messages WHERE state = 'downloaded'") { ids.insert($0.text(0)) }
            return ids
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
                    WHERE id = ?1 AND \(StateSQL.from(.downloaded))
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
                WHERE id = ?1 AND \(StateSQL.from(.discarded))
                """, [.text(id), .integer(now.milliseconds)])
            try db.run("INSERT INTO message_history(message_id, at_ms, what, detail) VALUES (?1, ?2, 'download discarded', ?3) ON CONFLICT DO NOTHING",
                       [.text(id), .integer(now.milliseconds), .text(reason)])
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }
}
