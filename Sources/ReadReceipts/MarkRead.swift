import Store
import TalkVaultDomain

/// What staff mark as read: messages by id, or a chat's messages sent up to a time.
public enum MarkReadTarget: Sendable, Equatable {
    case ids([String])
    case chat(String, until: Instant)
}

/// Marking messages read: the one way `talkvault mark-read` and `POST /api/v1/mark-read` both
/// do it. The first read stands; each message with a `markAsReadToken` queues the markAsRead
/// call LINE is owed (`ReadReceipts.sendPending` sends them).
public enum MarkRead {
    public static func mark(_ target: MarkReadTarget, by who: String, at now: Instant, in store: any ReadStateStore) throws(LedgerError) -> MarkReadResult {
        let ids: [String]
        switch target {
        case .ids(let given): ids = given
        case .chat(let chat, let until): ids = try store.messageIds(chat: chat, until: until)
        }
        return try store.markRead(ids: ids, by: who, at: now)
    }
}
