import TalkVaultDomain

/// A place in a time-ordered list of messages: the send time and id of the item it follows.
/// Pages are keyed on it (not offsets), so a chat of 100,000 messages pages as fast as one of 10.
public struct PageCursor: Sendable, Equatable, Hashable {
    public var sentAt: Instant
    public var id: String

    public init(sentAt: Instant, id: String) {
        self.sentAt = sentAt
        self.id = id
    }
}

/// One chat as the console's list shows it.
public struct ChatSummary: Sendable {
    public var chatId: String
    public var chatType: String
    public var name: String?
    public var channel: String
    /// Messages in the ledger (purged ones not counted).
    public var messages: Int
    /// The newest message, if any is left.
    public var lastMessage: FoundMessage?

    public init(chatId: String, chatType: String, name: String?, channel: String, messages: Int, lastMessage: FoundMessage?) {
        self.chatId = chatId
        self.chatType = chatType
        self.name = name
        self.channel = channel
        self.messages = messages
        self.lastMessage = lastMessage
    }
}

/// One item of a conversation: a message the ledger holds, or what a purge left of one.
public enum ConversationItem: Sendable {
    case message(FoundMessage)
    case purged(Tombstone)

    public var cursor: PageCursor {
        switch self {
        case .message(let found): PageCursor(sentAt: found.row.sentAt, id: found.row.id)
        case .purged(let tombstone): PageCursor(sentAt: tombstone.sentAt, id: tombstone.messageId)
        }
    }
}

/// A page of a conversation, oldest first.
public struct ConversationPage: Sendable {
    public var items: [ConversationItem]
    /// Whether items older than the first, or newer than the last, exist.
    public var hasOlder: Bool
    public var hasNewer: Bool

    public init(items: [ConversationItem], hasOlder: Bool, hasNewer: Bool) {
        self.items = items
        self.hasOlder = hasOlder
        self.hasNewer = hasNewer
    }
}

/// Which page of a conversation to read.
public enum ConversationPosition: Sendable, Equatable {
    /// The newest items.
    case newest
    /// The items just older than the cursor.
    case before(PageCursor)
    /// The items just newer than the cursor.
    case after(PageCursor)
    /// A page with this message in it (about a third of the page before it).
    case around(messageId: String)
}

/// What the console reads beyond `find` and `show`: the chat list, conversations a page at a
/// time, and the week's losses. Reads only.
public protocol ConsoleStore {
    /// Chats, the most recently active first; `nameContaining` narrows them by name or id.
    func chats(nameContaining: String?, limit: Int, offset: Int) throws(LedgerError) -> [ChatSummary]
    /// One chat, or nil.
    func chat(id: String) throws(LedgerError) -> ChatSummary?
    /// A page of `limit` items of a chat, purged ones included, at `position`.
    func conversation(chatId: String, at position: ConversationPosition, limit: Int) throws(LedgerError) -> ConversationPage
    /// Items lost since `since`, per channel and reason.
    func lostCounts(since: Instant) throws(LedgerError) -> [String: [String: Int]]
}
