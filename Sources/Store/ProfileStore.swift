import TalkVaultDomain

/// A sender whose display name should be fetched: in a 1:1 chat, or as a group or room member.
public struct ProfileRef: Sendable, Equatable {
    public var userId: String
    /// The group or room, or nil for a 1:1 profile.
    public var chat: ChatRef?
    /// Failed attempts so far, for backoff.
    public var failures: Int
    /// The channel the chat was first seen on: its token fetches the profile.
    public var channel: String

    public init(userId: String, chat: ChatRef? = nil, failures: Int, channel: String = ChannelName.implicit) {
        self.userId = userId
        self.chat = chat
        self.failures = failures
        self.channel = channel
    }
}

/// Display names, fetched from LINE in the background.
public protocol ProfileStore {
    /// Profiles never fetched, or fetched longer than `refresh` ago, whose next attempt is due.
    func profilesDue(now: Instant, refresh: RetentionDuration, limit: Int) throws(LedgerError) -> [ProfileRef]
    /// Stores a fetched display name (nil when LINE has no profile for the user any more).
    func recordProfile(_ ref: ProfileRef, displayName: String?, now: Instant) throws(LedgerError)
    /// Records a failed fetch; the next attempt waits until `retryAt`.
    func recordProfileFailure(_ ref: ProfileRef, retryAt: Instant) throws(LedgerError)
    /// The display name of `userId` in `chatId` ('' for 1:1), if fetched.
    func displayName(userId: String, chatId: String) throws(LedgerError) -> String?
}

extension ProfileStore {
    /// The 1:1 display name of `userId`, if fetched.
    public func displayName(userId: String) throws(LedgerError) -> String? { try displayName(userId: userId, chatId: "") }
}
