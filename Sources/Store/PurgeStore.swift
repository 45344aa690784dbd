import TalkVaultDomain

/// What the keep rules, the unsent policy and the holds need to know of one message.
public struct PurgeCandidate: Sendable, Equatable {
    public var id: String
    public var kind: MessageKind
    public var chat: ChatRef
    public var senderId: String?
    public var channel: String
    public var direction: MessageDirection
    public var sentAt: Instant
    public var state: MessageState
    public var unsentAt: Instant?
    /// Downloaded or archived content, in bytes.
    public var contentBytes: Int64
    /// Tags on the message and on its chat.
    public var tags: [String]
    /// A chat backup's own file (`oab-…`): its rows are text, so text's rule keeps it.
    public var isBackupFile = false

    public init(id: String, kind: MessageKind, chat: ChatRef, senderId: String?, channel: String, direction: MessageDirection,
                sentAt: Instant, state: MessageState, unsentAt: Instant?, contentBytes: Int64, tags: [String], isBackupFile: Bool = false) {
        self.isBackupFile = isBackupFile
        self.id = id
        self.kind = kind
        self.chat = chat
        self.senderId = senderId
        self.channel = channel
        self.direction = direction
        self.sentAt = sentAt
        self.state = state
        self.unsentAt = unsentAt
        self.contentBytes = contentBytes
        self.tags = tags
    }
}

/// Why a message's text and content went.
public enum PurgeAction: String, Sendable, Codable, CaseIterable {
    /// Its keep rule ran out, or the unsent policy is `delete`.
    case purge
    /// Unsent under `unsent: redact`: the fact, time and sender stay.
    case redact
    /// `talkvault erase`: a person's data, on request.
    case erase
}

/// What is left of a purged message: enough to say what it was and why it went.
public struct Tombstone: Sendable, Equatable {
    public var messageId: String
    public var kind: MessageKind
    public var chat: ChatRef
    public var senderId: String?
    public var channel: String
    public var direction: MessageDirection
    public var sentAt: Instant
    public var unsentAt: Instant?
    public var action: PurgeAction
    /// `keep.text`, `keep.tags.invoice`, `unsent: redact`, `erase: <reason>`.
    public var rule: String
    public var purgedAt: Instant
    public var contentBytes: Int64
    /// False until every copy is gone: a purge that stopped part way finishes it first.
    public var done: Bool

    public init(candidate c: PurgeCandidate, action: PurgeAction, rule: String, at now: Instant) {
        messageId = c.id
        kind = c.kind
        chat = c.chat
        senderId = c.senderId
        channel = c.channel
        direction = c.direction
        sentAt = c.sentAt
        unsentAt = c.unsentAt
        self.action = action
        self.rule = rule
        purgedAt = now
        contentBytes = c.contentBytes
        done = false
    }

    public init(messageId: String, kind: MessageKind, chat: ChatRef, senderId: String?, channel: String, direction: MessageDirection,
                sentAt: Instant, unsentAt: Instant?, action: PurgeAction, rule: String, purgedAt: Instant, contentBytes: Int64, done: Bool) {
        self.messageId = messageId
        self.kind = kind
        self.chat = chat
        self.senderId = senderId
        self.channel = channel
        self.direction = direction
        self.sentAt = sentAt
        self.unsentAt = unsentAt
        self.action = action
        self.rule = rule
        self.purgedAt = purgedAt
        self.contentBytes = contentBytes
        self.done = done
    }
}

/// A delivered weekly export, for its keep rule.
public struct DeliveredFile: Sendable, Equatable {
    public var week: String
    public var profile: String
    /// Relative to the export dir.
    public var path: String
    public var exportedAt: Instant

    public init(week: String, profile: String, path: String, exportedAt: Instant) {
        self.week = week
        self.profile = profile
        self.path = path
        self.exportedAt = exportedAt
    }
}

/// Purge and erasure on the ledger: the candidates, the tombstones, and taking a message's
/// every trace out of the ledger.
public protocol PurgeStore {
    /// Every message not purged, with its tags, in no set order.
    func purgeCandidates(_ body: (PurgeCandidate) throws -> Void) throws(LedgerError)
    /// The messages of one person: sent by them, or in their 1:1 chat (both sides).
    func candidates(ofUser user: String, _ body: (PurgeCandidate) throws -> Void) throws(LedgerError)
    /// The messages among `ids` still in the ledger.
    func candidates(ids: [String], _ body: (PurgeCandidate) throws -> Void) throws(LedgerError)
    /// Withdraws decisions not carried out yet (a hold placed since covers the messages).
    func cancelTombstones(_ ids: [String]) throws(LedgerError)
    /// Takes the profiles and names of erased people out, once none of their messages is left.
    func scrubErasedPeople() throws(LedgerError)
    /// How many messages the ledger holds.
    func messageCount() throws(LedgerError) -> Int
    /// Records decisions before anything is removed; a message already decided keeps its first.
    func recordTombstones(_ tombstones: [Tombstone]) throws(LedgerError)
    /// Decisions not carried out yet: message id to rule.
    func pendingPurges() throws(LedgerError) -> [String: String]
    /// The content bytes of the decisions not carried out yet.
    func pendingContentBytes() throws(LedgerError) -> Int64
    /// Staged downloads of these messages (relative to the data dir).
    func stagedFiles(of ids: [String]) throws(LedgerError) -> [(id: String, file: String)]
    /// Takes these decided messages out of the ledger (their rows, events' bodies, edits,
    /// history, tags, locations) and marks their tombstones done. Freed space is zeroed.
    func scrub(_ ids: [String]) throws(LedgerError)
    /// Rewrites the ledger without free space once (the first purge after an upgrade: rows
    /// deleted before `secure_delete` may have left bytes behind), then truncates the WAL.
    /// Returns false when readers kept the WAL from being truncated.
    func compact() throws(LedgerError) -> Bool
    /// True when a purge scrubbed rows and `compact` has not finished since.
    func compactionOwed() throws(LedgerError) -> Bool
    /// The tombstone of message `id`, if it was purged.
    func tombstone(id: String) throws(LedgerError) -> Tombstone?
    /// Purged messages, their content bytes, and erasures, done or not.
    func purgeTotals() throws(LedgerError) -> (messages: Int, bytes: Int64, erasures: Int)
    /// The messages a delivered export carried.
    func exportedMessageIds(week: String, profile: String) throws(LedgerError) -> [String]
    /// Every delivered export, for the export keep rule.
    func deliveredFiles() throws(LedgerError) -> [DeliveredFile]
    /// Records that a delivered export's files were deleted under `rule`; the week stays delivered.
    func markExportPurged(week: String, profile: String, rule: String, at now: Instant) throws(LedgerError)
}
