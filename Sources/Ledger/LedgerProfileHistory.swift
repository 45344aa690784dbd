import SQLiteDB
import Store
import TalkVaultDomain

extension LedgerProfiles: ProfileHistoryStore {
    /// The 1:1 profile's name, each group's or room's member profile name, then the earlier 1:1
    /// names (`profile_names`), oldest first.
    public func knownNames(userId: String) throws(LedgerError) -> [KnownName] {
        do {
            var names: [KnownName] = []
            try db.query("""
                SELECT display_name, chat_id, fetched_at_ms FROM profiles WHERE user_id = ?1 AND display_name IS NOT NULL
                ORDER BY chat_id != '', chat_id
                """, [.text(userId)]) { row in
                let chatId = row.text(1)
                names.append(KnownName(name: row.text(0), chatId: chatId.isEmpty ? nil : chatId, current: true,
                                       seenAt: row.optionalInt64(2).map(Instant.init(milliseconds:))))
            }
            let current = Set(names.filter { $0.chatId == nil }.map(\.name))
            try db.query("SELECT display_name, seen_at_ms FROM profile_names WHERE user_id = ?1 ORDER BY seen_at_ms, display_name",
                         [.text(userId)]) { row in
                guard !current.contains(row.text(0)) else { return }
                // A name carried over from before the table had times has 0: unknown.
                let seen = row.int64(1)
                names.append(KnownName(name: row.text(0), current: false, seenAt: seen > 0 ? Instant(milliseconds: seen) : nil))
            }
            return names
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }
}
