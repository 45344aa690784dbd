import SQLiteDB
import Store
import TalkVaultDomain

extension LedgerProfiles {
    /// Profiles never fetched, or fetched longer than `refresh` ago, whose next attempt is due.
    public func profilesDue(now: Instant, refresh: RetentionDuration, limit: Int) throws(LedgerError) -> [ProfileRef] {
        do {
            var result: [ProfileRef] = []
            try db.query("""
                SELECT p.user_id, p.chat_id, c.chat_type, p.failures, coalesce(c.channel, u.channel, 'default') FROM profiles p
                LEFT JOIN chats c ON c.chat_id = p.chat_id
                LEFT JOIN chats u ON p.chat_id = '' AND u.chat_id = p.user_id
                WHERE p.next_attempt_ms <= ?1 AND (p.fetched_at_ms IS NULL OR p.fetched_at_ms <= ?2)
                ORDER BY p.fetched_at_ms IS NOT NULL, p.next_attempt_ms LIMIT ?3
                """, [.integer(now.milliseconds), .integer(now.adding(RetentionDuration(seconds: -refresh.seconds)).milliseconds), .int(limit)]) { row in
                let chatId = row.text(1)
                let chat = chatId.isEmpty ? nil : ChatType(rawValue: row.text(2)).map { ChatRef(type: $0, id: chatId) }
                result.append(ProfileRef(userId: row.text(0), chat: chat, failures: row.int(3), channel: row.text(4)))
            }
            return result
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    /// Stores a fetched display name (nil when LINE has no profile for the user any more).
    public func recordProfile(_ ref: ProfileRef, displayName: String?, now: Instant) throws(LedgerError) {
        do {
            try db.run("""
                UPDATE profiles SET display_name = coalesce(?3, display_name), fetched_at_ms = ?4, failures = 0, next_attempt_ms = 0
                WHERE user_id = ?1 AND chat_id = ?2
                """, [.text(ref.userId), .text(ref.chat?.id ?? ""), .text(displayName), .integer(now.milliseconds)])
            // Every name a user has had: a chat backup names its chat by the name of its week.
            if let displayName, ref.chat == nil {
                try db.run("INSERT OR IGNORE INTO profile_names(user_id, display_name, seen_at_ms) VALUES (?1, ?2, ?3)",
                           [.text(ref.userId), .text(displayName), .integer(now.milliseconds)])
            }
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    /// Records a failed fetch; the next attempt waits until `retryAt`.
    public func recordProfileFailure(_ ref: ProfileRef, retryAt: Instant) throws(LedgerError) {
        do {
            try db.run("UPDATE profiles SET failures = failures + 1, next_attempt_ms = ?3 WHERE user_id = ?1 AND chat_id = ?2",
                       [.text(ref.userId), .text(ref.chat?.id ?? ""), .integer(retryAt.milliseconds)])
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    /// The display name of `userId` in `chatId` ('' for 1:1), if fetched.
    public func displayName(userId: String, chatId: String) throws(LedgerError) -> String? {
        do {
            return try db.first("SELECT display_name FROM profiles WHERE user_id = ?1 AND chat_id = ?2",
                                [.text(userId), .text(chatId)]) { $0.optionalText(0) } ?? nil
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }
}
