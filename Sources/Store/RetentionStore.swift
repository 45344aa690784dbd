import TalkVaultDomain

/// The organisation's own retention: tags on chats and messages, and legal holds.
public protocol RetentionStore {
    /// Tags chats or messages; returns the ones the ledger does not know (nothing is tagged
    /// for those). Tagging twice changes nothing.
    func tag(_ tag: String, chats: [String], messages: [String], by who: String, at now: Instant) throws(LedgerError) -> TagResult
    /// Removes a tag; returns how many it was on.
    func untag(_ tag: String, chats: [String], messages: [String]) throws(LedgerError) -> Int
    /// The tags on a message, and on a chat, sorted.
    func tags(message id: String) throws(LedgerError) -> [String]
    func tags(chat id: String) throws(LedgerError) -> [String]
    /// Adds a hold; false when a hold of that name exists (active or released).
    func addHold(_ hold: LegalHold) throws(LedgerError) -> Bool
    /// Every hold, active first, by name.
    func holds() throws(LedgerError) -> [LegalHold]
    /// Releases an active hold; false when there is none of that name.
    func releaseHold(named name: String, release: LegalHold.Release) throws(LedgerError) -> Bool
    /// What a hold covers now.
    func coverage(of hold: LegalHold) throws(LedgerError) -> HoldCoverage
    /// Whether the ledger knows the id as a user or a chat (a fetched profile, or a chat seen).
    func userExists(_ userId: String) throws(LedgerError) -> Bool
}

public struct TagResult: Sendable, Equatable {
    public var tagged: Int
    public var unknown: [String]

    public init(tagged: Int, unknown: [String]) {
        self.tagged = tagged
        self.unknown = unknown
    }
}

/// The messages a hold covers, in how many chats, and their archived bytes.
public struct HoldCoverage: Sendable, Equatable {
    public var messages: Int
    public var chats: Int
    public var contentBytes: Int64

    public init(messages: Int, chats: Int, contentBytes: Int64) {
        self.messages = messages
        self.chats = chats
        self.contentBytes = contentBytes
    }
}
