import Store
import TalkVaultDomain

/// What staff mark as read: messages by id, or a chat's messages sent up to a time.
public enum MarkReadTarget: Sendable, Equatable {
    case ids([String])
    /// `channel` narrows the chat to one channel; it is needed when the chat id (a user's id,
    /// shared by the accounts of one provider) has messages in several.
    case chat(String, until: Instant, channel: String? = nil)
}

/// Marking messages read: the one way `talkvault mark-read` and `POST /api/v1/mark-read` both
/// do it. The first read stands; each message with a `markAsReadToken` queues the markAsRead
/// call LINE is owed (`ReadReceipts.sendPending` sends them).
public enum MarkRead {
    public static func mark(_ target: MarkReadTarget, by who: String, at now: Instant, in store: any ReadStateStore) throws(LedgerError) -> MarkReadResult {
        let ids: [String]
        switch target {
        case .ids(let given): ids = given
        case .chat(let chat, let until, let channel):
            let found = try store.messageIds(chat: chat, until: until, channel: channel)
            let channels = Set(found.map(\.channel))
            if channels.count > 1 {
                var result = MarkReadResult()
                result.ambiguousChannels = channels.sorted()
                return result
            }
            ids = found.map(\.id)
        }
        return try store.markRead(ids: ids, by: who, at: now)
    }
}
