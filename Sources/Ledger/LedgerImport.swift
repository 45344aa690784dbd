import SQLiteDB
import Store
import TalkVaultDomain

/// Chat-backup imports on the SQLite ledger.
public struct LedgerImport: ImportStore, LedgerPart {
    let ledger: Ledger

    public func chats(named displayName: String, channel: String) throws(LedgerError) -> ChatNames {
        do {
            let mapped = try db.first("SELECT chat_id FROM import_names WHERE channel = ?1 AND display_name = ?2",
                                      [.text(channel), .text(displayName)]) { $0.text(0) }
            var byProfile: [String] = []
            // A user id is the same in every channel of a provider: the chat is the channel's when
            // the channel holds its messages.
            try db.query("""
                SELECT DISTINCT n.user_id FROM profile_names n
                WHERE n.display_name = ?2 AND EXISTS (SELECT 1 FROM messages m WHERE m.chat_id = n.user_id AND m.channel = ?1
                                                        AND m.chat_type = 'user' AND m.source = 'webhook')
                ORDER BY n.user_id
                """, [.text(channel), .text(displayName)]) { byProfile.append($0.text(0)) }
            var current: [String] = []
            try db.query("SELECT user_id FROM profiles WHERE chat_id = '' AND display_name = ?1", [.text(displayName)]) {
                if byProfile.contains($0.text(0)) { current.append($0.text(0)) }
            }
            return ChatNames(mapped: mapped, byProfile: byProfile, current: current)
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    public func isUserChat(_ chatId: String, channel: String) throws(LedgerError) -> Bool {
        do {
            guard UnmatchedChat.name(chatId) == nil else { return false }
            return try db.scalar("""
                SELECT EXISTS (SELECT 1 FROM messages WHERE chat_id = ?1 AND channel = ?2 AND chat_type = 'user' AND source = 'webhook')
                """, [.text(chatId), .text(channel)]) > 0
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    public func importedFile(sha256: String, name: String, channel: String) throws(LedgerError) -> String? {
        do {
            return try db.first("SELECT message_id FROM import_files WHERE sha256 = ?1 AND channel = ?2 AND name = ?3",
                                [.text(sha256), .text(channel), .text(name)]) { $0.text(0) }
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    public func importFiles(_ requests: [ImportRequest], channel: String, at now: Instant, dryRun: Bool,
                            plan: (Int, [StoredMessage]) throws -> ImportPlan) throws(LedgerError) -> [ImportPlan] {
        try run(dryRun: dryRun) {
            try requests.indices.map { index in
                let request = requests[index]
                return try apply(try plan(index, try stored(chatId: request.chatId, channel: channel, from: request.from, to: request.to)),
                                 chatId: request.chatId, channel: channel, now: now)
            }
        }
    }

    private func apply(_ plan: ImportPlan, chatId: String, channel: String, now: Instant) throws -> ImportPlan {
        var plan = plan
        for row in plan.matched {
            plan.newlyRead += try db.run("""
                UPDATE messages SET read_at_ms = ?2, read_by = ?3, updated_at_ms = max(updated_at_ms, ?4)
                WHERE id = ?1 AND read_at_ms IS NULL
                """, [.text(row.id), .integer(plan.readAt.milliseconds), .text(ImportPlan.readBy), .integer(now.milliseconds)])
            try history(row.id, at: now, "imported", detail: "\(plan.file.fileName ?? plan.file.id):\(row.line)")
        }
        try db.run("INSERT INTO chats(chat_id, chat_type, first_seen_ms, channel) VALUES (?1, 'user', ?2, ?3) ON CONFLICT DO NOTHING",
                   [.text(chatId), .integer(min(plan.new.first?.sentAt ?? plan.file.sentAt, plan.file.sentAt).milliseconds), .text(channel)])
        // Rows of messages a purge or an erasure took are not brought back, nor counted as new.
        plan.new = try plan.new.filter { try insert($0, channel: channel, readAt: plan.readAt, stagedFile: nil, now: now) }
        _ = try insert(plan.file, channel: channel, readAt: plan.readAt, stagedFile: plan.stagedFile, now: now,
                       content: (plan.sha256, plan.size))
        try db.run("""
            INSERT INTO import_files(sha256, channel, name, chat_id, message_id, rows, imported_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
            ON CONFLICT DO NOTHING
            """, [.text(plan.sha256), .text(channel), .text(plan.file.fileName ?? ""), .text(chatId), .text(plan.file.id),
                  .int(plan.matched.count + plan.new.count), .integer(now.milliseconds)])
        return plan
    }

    public func settle(displayName: String, heldChatId: String, chatId: String, channel: String, at now: Instant, dryRun: Bool,
                       plan: (_ held: [StoredMessage], _ target: [StoredMessage]) throws -> [String: String]) throws(LedgerError) -> Int {
        try run(dryRun: dryRun) {
            try db.run("""
                INSERT INTO import_names(channel, display_name, chat_id, mapped_at_ms) VALUES (?1, ?2, ?3, ?4)
                ON CONFLICT(channel, display_name) DO UPDATE SET chat_id = excluded.chat_id, mapped_at_ms = excluded.mapped_at_ms
                """, [.text(channel), .text(displayName), .text(chatId), .integer(now.milliseconds)])
            guard heldChatId != chatId, UnmatchedChat.name(chatId) == nil else {
                throw LedgerError.io(path: path, reason: "an unmatched chat is settled into a captured chat, not into itself")
            }
            let held = try stored(chatId: heldChatId, channel: channel, from: Instant(milliseconds: .min), to: Instant(milliseconds: .max))
            let target = held.isEmpty ? [] : try stored(chatId: chatId, channel: channel, from: held.first!.sentAt,
                                                        to: held.last!.sentAt.adding(RetentionDuration(seconds: 1)))
            // Held messages were never packed or exported (see `UnmatchedChat`), so a copy of a
            // target message can go; its row moves to the target as history.
            for (heldId, targetId) in try plan(held, target) {
                let provenance = try db.first("SELECT detail FROM message_history WHERE message_id = ?1 AND what = 'imported'",
                                              [.text(heldId)]) { $0.optionalText(0) } ?? nil
                try db.run("""
                    UPDATE messages SET read_at_ms = (SELECT read_at_ms FROM messages WHERE id = ?2), read_by = ?3,
                           updated_at_ms = max(updated_at_ms, ?4)
                    WHERE id = ?1 AND read_at_ms IS NULL
                    """, [.text(targetId), .text(heldId), .text(ImportPlan.readBy), .integer(now.milliseconds)])
                try history(targetId, at: now, "imported", detail: provenance ?? heldId)
                let eventSeq = try db.first("SELECT event_seq FROM messages WHERE id = ?1", [.text(heldId)]) { $0.int64(0) }
                try db.run("DELETE FROM message_history WHERE message_id = ?1", [.text(heldId)])
                try db.run("DELETE FROM messages WHERE id = ?1", [.text(heldId)])
                if let eventSeq { try db.run("DELETE FROM raw_events WHERE seq = ?1", [.integer(eventSeq)]) }
            }
            // A customer's row now has the chat's user as its sender, in its event too.
            try db.run("""
                UPDATE raw_events SET chat_id = ?2,
                       sender_id = CASE WHEN type = ?4 AND json_extract(body, '$.sender_type') = 'User' THEN ?2 ELSE sender_id END
                WHERE chat_id = ?1 AND channel = ?3
                """, [.text(heldChatId), .text(chatId), .text(channel), .text(ImportedRowEvent.type)])
            let moved = try db.run("""
                UPDATE messages SET chat_id = ?2, sender_id = CASE WHEN direction = 'incoming' AND line_type != ?5 THEN ?2 ELSE sender_id END,
                       updated_at_ms = max(updated_at_ms, ?4)
                WHERE chat_id = ?1 AND channel = ?3
                """, [.text(heldChatId), .text(chatId), .text(channel), .integer(now.milliseconds), .text(BackupFileMessage.lineType)])
            try db.run("UPDATE import_files SET chat_id = ?2 WHERE chat_id = ?1 AND channel = ?3",
                       [.text(heldChatId), .text(chatId), .text(channel)])
            // Another channel's rows of the same name may still wait under the id.
            try db.run("DELETE FROM chats WHERE chat_id = ?1 AND NOT EXISTS (SELECT 1 FROM messages WHERE chat_id = ?1)", [.text(heldChatId)])
            return moved
        }
    }

    public func messages(chatId: String?, channel: String, from: Instant, to: Instant) throws(LedgerError) -> [StoredMessage] {
        do { return try stored(chatId: chatId, channel: channel, from: from, to: to) } catch { throw LedgerError.wrap(error, path: path) }
    }

    public func heldChats(channel: String) throws(LedgerError) -> [String: Int] {
        do {
            var held: [String: Int] = [:]
            try db.query("""
                SELECT chat_id, count(*) FROM messages WHERE \(Self.held("messages")) = 1 AND channel = ?1 AND line_type != ?2 GROUP BY chat_id
                """, [.text(channel), .text(BackupFileMessage.lineType)]) { held[$0.text(0)] = $0.int(1) }
            return held
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    public func bytesMissing(messageId: String) throws(LedgerError) -> Bool {
        do {
            return try db.scalar("""
                SELECT EXISTS (SELECT 1 FROM messages WHERE id = ?1 AND state NOT IN ('downloaded', 'archived'))
                """, [.text(messageId)]) > 0
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    public func restage(messageId: String, stagedFile: String, size: Int64, sha256: String, at now: Instant) throws(LedgerError) {
        do {
            try db.transaction {
                // Its size and hash too: `pack` checks the staged bytes against them.
                try db.run("""
                    UPDATE messages SET state = 'downloaded', reason = NULL, staged_file = ?2, content_size = ?4, content_sha256 = ?5,
                           updated_at_ms = max(updated_at_ms, ?3)
                    WHERE id = ?1 AND state NOT IN ('downloaded', 'archived')
                    """, [.text(messageId), .text(stagedFile), .integer(now.milliseconds), .integer(size), .text(sha256)])
                try history(messageId, at: now, "staged again", detail: "its backup file imported again")
            }
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    public func stagedImportFiles() throws(LedgerError) -> Set<String> {
        do {
            var files = Set<String>()
            try db.query("SELECT staged_file FROM messages WHERE staged_file IS NOT NULL AND line_type = ?1",
                         [.text(BackupFileMessage.lineType)]) { files.insert($0.text(0)) }
            return files
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    /// The chat's messages sent in [from, to), by time and id: the order matching pairs them in.
    private func stored(chatId: String?, channel: String, from: Instant, to: Instant) throws -> [StoredMessage] {
        var result: [StoredMessage] = []
        let chat = chatId == nil ? "chat_type = 'user'" : "chat_id = ?1"
        try db.query("""
            SELECT id, chat_id, sent_at_ms, direction, kind, state, text FROM messages
            WHERE \(chat) AND channel = ?2 AND sent_at_ms >= ?3 AND sent_at_ms < ?4 AND line_type != ?5
            ORDER BY sent_at_ms, id
            """, [.text(chatId ?? ""), .text(channel), .integer(from.milliseconds), .integer(to.milliseconds),
                  .text(BackupFileMessage.lineType)]) { row in
            result.append(StoredMessage(
                id: row.text(0), chatId: row.text(1), sentAt: Instant(milliseconds: row.int64(2)),
                direction: MessageDirection(rawValue: row.text(3)) ?? .incoming, kind: MessageKind(rawValue: row.text(4)) ?? .unknown,
                state: MessageState(rawValue: row.text(5)) ?? .received, text: row.optionalText(6)))
        }
        return result
    }

    private func insert(_ message: NewImportedMessage, channel: String, readAt: Instant, stagedFile: String?, now: Instant,
                        content: (sha256: String, size: Int64)? = nil) throws -> Bool {
        // A row of a chat and second a purge or an erasure took is not brought back by an old
        // backup imported again: its message went on purpose.
        if message.lineType != BackupFileMessage.lineType, try db.scalar("""
            SELECT EXISTS (SELECT 1 FROM tombstones WHERE chat_id = ?1 AND sent_at_ms >= ?2 AND sent_at_ms < ?2 + 1000 AND direction = ?3)
            """, [.text(message.chat.id), .integer(message.sentAt.milliseconds / 1000 * 1000), .text(message.direction.rawValue)]) > 0 {
            return false
        }
        let eventId = "oa-import:" + message.id
        let inserted = try db.run("""
            INSERT INTO raw_events(event_id, type, timestamp_ms, received_at_ms, mode, chat_id, sender_id, destination,
                                   redelivered, disposition, invalid_reason, fingerprint, body, channel)
            VALUES (?1, ?2, ?3, ?4, NULL, ?5, ?6, NULL, 0, 'message', NULL, ?7, ?8, ?9)
            ON CONFLICT(event_id) DO NOTHING
            """, [.text(eventId), .text(message.eventType), .integer(message.sentAt.milliseconds), .integer(now.milliseconds),
                  .text(message.chat.id), .text(message.senderId), .text(message.fingerprint), .text(message.eventBody), .text(channel)])
        // The event is new exactly when the message is (its id is the message's): an existing one
        // means the message is stored already, and is left as it is.
        guard inserted > 0 else { return true }
        let seq = db.lastInsertRowID
        try db.run("""
            INSERT INTO messages(id, kind, line_type, chat_type, chat_id, sender_id, sent_at_ms, deadline_ms, state, reason,
                                 text, original_text, file_name, origin, edited, event_seq, captured_at_ms, updated_at_ms,
                                 read_at_ms, read_by, channel, direction, source, sender_name, staged_file, content_type,
                                 content_size, content_sha256)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12, 'message', 0, ?13, ?14, ?14, ?15, ?16, ?17, ?18,
                    'oa-import', ?19, ?20, ?21, ?22, ?23)
            """, [.text(message.id), .text(message.kind.rawValue), .text(message.lineType), .text(message.chat.type.rawValue),
                  .text(message.chat.id), .text(message.senderId), .integer(message.sentAt.milliseconds),
                  .integer(message.deadline.milliseconds), .text(message.state.rawValue), .text(message.reason?.rawValue),
                  .text(message.text), .text(message.fileName), .integer(seq), .integer(now.milliseconds),
                  .integer(readAt.milliseconds), .text(ImportPlan.readBy), .text(channel), .text(message.direction.rawValue),
                  .text(message.senderName), .text(stagedFile), .text(content == nil ? nil : "text/csv; charset=utf-8"),
                  .integer(content?.size), .text(content?.sha256)])
        try history(message.id, at: now, "imported", detail: message.provenance)
        return true
    }

    private func history(_ messageId: String, at: Instant, _ what: String, detail: String?) throws {
        try db.run("INSERT INTO message_history(message_id, at_ms, what, detail) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
                   [.text(messageId), .integer(at.milliseconds), .text(what), .text(detail)])
    }

    /// SQL that is 1 for a message of alias `m` waiting in an unmatched chat, else 0.
    static func held(_ m: String) -> String {
        "(substr(\(m).chat_id, 1, \(UnmatchedChat.prefix.count)) = '\(UnmatchedChat.prefix)')"
    }

    /// Runs `body` in one transaction, rolled back instead of committed for a dry run.
    private func run<T>(dryRun: Bool, _ body: () throws -> T) throws(LedgerError) -> T {
        var result: T?
        do {
            try db.transaction {
                result = try body()
                if dryRun { throw RolledBack() }
            }
        } catch is RolledBack {
        } catch let error as LedgerError {
            throw error
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
        guard let result else { throw LedgerError.io(path: path, reason: "an import's transaction gave no result") }
        return result
    }
}

/// Thrown inside a dry run's transaction to roll it back.
private struct RolledBack: Error {}

extension Ledger {
    public var importStore: LedgerImport { LedgerImport(ledger: self) }
}
