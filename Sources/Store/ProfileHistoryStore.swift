import TalkVaultDomain

/// One display name the ledger holds for a user.
public struct KnownName: Sendable, Equatable {
    public var name: String
    /// The group or room whose member profile has the name; nil for the 1:1 profile.
    public var chatId: String?
    /// Whether the profile holds the name now; false for a 1:1 name the user had before.
    public var current: Bool
    /// When it was fetched (a current name) or first seen (an earlier one), if known.
    public var seenAt: Instant?

    public init(name: String, chatId: String? = nil, current: Bool, seenAt: Instant? = nil) {
        self.name = name
        self.chatId = chatId
        self.current = current
        self.seenAt = seenAt
    }
}

/// Every display name known for a user, for a disclosure (`talkvault disclose`): what
/// `ProfileStore` keeps current, and the 1:1 names the user had before.
public protocol ProfileHistoryStore {
    /// The 1:1 profile's name, each group's or room's member profile name, then the earlier 1:1
    /// names, oldest first.
    func knownNames(userId: String) throws(LedgerError) -> [KnownName]
}
