import TalkVaultDomain

/// What `mark-read` did.
public struct MarkReadResult: Sendable, Equatable {
    /// Messages newly marked read.
    public var marked: [String] = []
    /// Ids that were already read (their first read stands).
    public var alreadyRead: [String] = []
    /// Ids the ledger does not know.
    public var unknown: [String] = []
    /// markAsRead calls now owed to LINE.
    public var receiptsQueued = 0
    /// A chat target without a channel whose messages are in several channels (one user of two
    /// accounts of a provider): nothing was marked, and these are the channels to choose from.
    public var ambiguousChannels: [String] = []

    public init() {}
}

/// A markAsRead call owed to LINE.
public struct ReadReceipt: Sendable, Equatable {
    public var messageId: String
    public var token: String
    public var attempts: Int
    /// The message's channel: only its token may send the call.
    public var channel: String

    public init(messageId: String, token: String, attempts: Int, channel: String = ChannelName.implicit) {
        self.messageId = messageId
        self.token = token
        self.attempts = attempts
        self.channel = channel
    }
}

/// How one markAsRead call ended, as the ledger keeps it.
public enum ReceiptResult: Sendable, Equatable {
    case sent
    /// LINE refused it for good (a token it did not issue): not owed any more.
    case refused(String)
    /// Worth another try: still owed.
    case failed(String)
}

/// Read state: who read what and when, and the markAsRead calls LINE is owed.
public protocol ReadStateStore {
    /// Marks messages read by `who` at `now`, and queues the markAsRead calls LINE is owed.
    /// The first read wins: marking again changes nothing.
    func markRead(ids: [String], by who: String, at now: Instant) throws(LedgerError) -> MarkReadResult
    /// Marks read every message captured while LINE's `markAsReadMode` was `auto`; returns how many.
    func markAutoRead() throws(LedgerError) -> Int
    /// Marks read every unmarked message of `channel`, whose read state LINE keeps automatically; returns how many.
    func markAutoRead(channel: String) throws(LedgerError) -> Int
    /// The chat's messages sent up to `until` (of `channel`, or of every channel when nil), oldest first.
    func messageIds(chat: String, until: Instant, channel: String?) throws(LedgerError) -> [(id: String, channel: String)]
    /// markAsRead calls still owed to LINE, oldest first: not yet acknowledged, and not refused.
    func pendingReceipts(limit: Int) throws(LedgerError) -> [ReadReceipt]
    /// Records how a markAsRead call ended: sent; refused by LINE (never sent again); or failed.
    func recordReceipt(id: String, _ result: ReceiptResult, at now: Instant) throws(LedgerError)
}

extension ReadStateStore {
    /// Up to 1,000 markAsRead calls still owed to LINE.
    public func pendingReceipts() throws(LedgerError) -> [ReadReceipt] { try pendingReceipts(limit: 1_000) }
}
