import InboxLog
import TalkVaultDomain

/// Where a relay target stands: its durable position in the inbox log and what it did so far.
public struct RelayTargetState: Sendable, Equatable {
    public var name: String
    /// After the last body the target received, refused or gave up on.
    public var position: InboxPosition
    public var delivered = 0
    public var refused = 0
    public var dead = 0
    /// Tries after the first, over all bodies.
    public var retried = 0
    /// The body at `position` has failed since then, and is being retried; nil when not.
    public var failingSince: Instant?
    /// Why it failed the last time.
    public var lastError: String?

    public init(name: String, position: InboxPosition, delivered: Int = 0, refused: Int = 0, dead: Int = 0, retried: Int = 0,
                failingSince: Instant? = nil, lastError: String? = nil) {
        self.name = name
        self.position = position
        self.delivered = delivered
        self.refused = refused
        self.dead = dead
        self.retried = retried
        self.failingSince = failingSince
        self.lastError = lastError
    }
}

/// A body a target did not take: refused (a 4xx that no retry changes) or given up on after
/// `max_age`. Kept whole, so `relay retry` can send it again.
public struct DeadLetter: Sendable, Equatable {
    public var seq: Int64
    public var target: String
    public var receivedAt: Instant
    public var deadAt: Instant
    public var reason: String
    public var attempts: Int
    public var refused: Bool
    /// `relay retry` asked for it again; the relay sends it before the log.
    public var queued: Bool
    public var body: [UInt8]
    /// The channel the body arrived for: its secret signs it again.
    public var channel = ChannelName.implicit

    public init(seq: Int64, target: String, receivedAt: Instant, deadAt: Instant, reason: String, attempts: Int, refused: Bool,
                queued: Bool, body: [UInt8]) {
        self.seq = seq
        self.target = target
        self.receivedAt = receivedAt
        self.deadAt = deadAt
        self.reason = reason
        self.attempts = attempts
        self.refused = refused
        self.queued = queued
        self.body = body
    }
}

/// How one body ended for a target, as the relay records it.
public enum RelayOutcome: Sendable, Equatable {
    /// The target answered 2xx.
    case delivered(attempts: Int)
    /// A 4xx other than 408 and 429: the target will not take it; kept as a dead letter.
    case refused(reason: String, attempts: Int)
    /// Tried until `max_age`; kept as a dead letter.
    case dead(reason: String, attempts: Int)
    /// Damaged in the inbox log: its bytes cannot be trusted, so nothing is sent or kept.
    /// Counted as dead.
    case skipped(reason: String)
    /// A body of a channel the target does not take (its `channels:`): passed over, not counted.
    case passed
}

/// The relay's durable state: one position per target in the inbox log, its counts, and the
/// dead letters.
public protocol RelayStore {
    /// Every target's state; a target never seen has none.
    func relayTargets() throws(LedgerError) -> [RelayTargetState]
    /// Records a target first seen, at `position` (bodies acknowledged from then on are relayed).
    func startRelayTarget(_ name: String, at position: InboxPosition, now: Instant) throws(LedgerError)
    /// Records how a body from the log ended and moves the target past it, in one transaction:
    /// after a crash the target resumes right after the last body recorded.
    func recordRelay(_ name: String, outcome: RelayOutcome, body: [UInt8], channel: String, receivedAt: Instant,
                     through position: InboxPosition, now: Instant) throws(LedgerError)
    /// Notes that the body at the target's position failed (first at `since`), for `relay status`.
    func noteRelayFailing(_ name: String, since: Instant, reason: String) throws(LedgerError)
    /// Records how a dead letter sent again ended: delivered ones are deleted, the others stay,
    /// no longer queued, with the new reason.
    func recordRetry(_ letter: DeadLetter, outcome: RelayOutcome, now: Instant) throws(LedgerError)
    /// The dead letters of `target` (all targets when nil), oldest first, at most `limit`.
    func deadLetters(target: String?, queuedOnly: Bool, limit: Int) throws(LedgerError) -> [DeadLetter]
    /// Dead letters kept per target, and how many of them `relay retry` queued.
    func deadLetterCounts() throws(LedgerError) -> [String: (kept: Int, queued: Int)]
    /// Queues `target`'s dead letters received at or after `since` to be sent again; returns how many.
    func queueRetry(target: String, since: Instant?) throws(LedgerError) -> Int
}
