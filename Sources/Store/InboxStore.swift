import InboxLog
import TalkVaultDomain

/// A body the receiver acknowledged that the full parse or the schema refused, kept in `inbox_rejected`.
public struct InboxRejection: Sendable, Equatable {
    public var receivedAt: Instant
    /// Why, without quoting the body.
    public var problem: String
    public var bytes: Int

    public init(receivedAt: Instant, problem: String, bytes: Int) {
        self.receivedAt = receivedAt
        self.problem = problem
        self.bytes = bytes
    }
}

/// A body an older version left in its inbox table (`webhook_inbox`), before the inbox log.
public struct LegacyInboxBody: Sendable {
    public var seq: Int64
    public var receivedAt: Instant
    public var autoRead: Bool
    public var body: [UInt8]

    public init(seq: Int64, receivedAt: Instant, autoRead: Bool, body: [UInt8]) {
        self.seq = seq
        self.receivedAt = receivedAt
        self.autoRead = autoRead
        self.body = body
    }
}

/// How a parsed inbox body fared.
public enum InboxStored: Sendable {
    case stored(CaptureCounts)
    /// The schema refused its rows; nothing of it was kept: set it aside.
    case refused(String)
}

/// The writes of one apply transaction; used only inside `InboxStore.applyTransaction`.
public protocol InboxBatch {
    /// The next body an older version left in its inbox table, after `seq`.
    func legacyBody(after seq: Int64) throws -> LegacyInboxBody?
    /// Deletes the legacy table's bodies up to `seq`, applied in this transaction.
    func deleteLegacyBodies(through seq: Int64) throws
    /// Stores one parsed body's events, as `CaptureStore.capture` does. A body whose rows are
    /// refused must not wedge every body behind it: it is undone alone and reported.
    func store(_ body: CapturedBody, receivedAt: Instant, autoRead: Bool) throws -> InboxStored
    /// Keeps a body that cannot be applied, with why.
    func setAside(_ body: [UInt8], receivedAt: Instant, problem: String) throws
    /// Records damage found in the log; false when it was recorded before.
    func record(_ damage: InboxDamage) throws -> Bool
    /// The log position this transaction applied through.
    func position() throws -> InboxPosition
    /// Records that the log is applied through `position`.
    func setPosition(_ position: InboxPosition) throws
}

/// What the ledger knows of the webhook inbox log: how far it is applied, and its problems.
public protocol InboxStore {
    /// How far the apply has read the inbox log.
    func inboxPosition() throws(LedgerError) -> InboxPosition
    /// Makes the applied position survive a power loss (apply transactions skip their fsync).
    func makeInboxPositionDurable() throws(LedgerError)
    /// Runs one apply transaction: `body` stores bodies and moves the position through the
    /// batch, and all of it is committed, or none. Without `durable` the commit is not fsynced.
    func applyTransaction<T>(durable: Bool, _ body: (any InboxBatch) throws -> T) throws(LedgerError) -> T
    /// Bodies refused after the receiver had acknowledged them, oldest first (at most `limit`),
    /// and how many there are in all.
    func inboxRejected(limit: Int) throws(LedgerError) -> (total: Int, oldest: [InboxRejection])
    /// Damage to the log an apply recorded, in log order.
    func recordedInboxDamage() throws(LedgerError) -> [InboxDamage]
    /// How many bodies are kept aside and how much damage is recorded: cheap, for the metrics.
    func inboxProblemCounts() throws(LedgerError) -> (rejected: Int, damage: Int)
    /// The bodies an older version left in its inbox table, and their bytes.
    func legacyInboxSize() throws(LedgerError) -> (bodies: Int, bytes: Int)
}

extension InboxStore {
    /// Every refused body.
    public func inboxRejected() throws(LedgerError) -> (total: Int, oldest: [InboxRejection]) { try inboxRejected(limit: .max) }
}
