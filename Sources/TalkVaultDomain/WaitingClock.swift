import Foundation

/// The clock of waiting: rate limits, `Retry-After` pauses, backoff and patience. It is not
/// the wall clock ("now", deadlines): a wall clock may be fixed (`TALKVAULT_NOW`) or jump, and
/// a wait measured on it would never end or end early.
public protocol WaitingClock: Sendable {
    /// Milliseconds since an origin of this clock's own; never goes back. Readings are only
    /// compared with readings of the same clock.
    func elapsedMilliseconds() -> Int64
    /// Waits `milliseconds`. Throws `CancellationError` when the task is cancelled.
    func sleep(milliseconds: Int64) async throws
}

/// Real waiting, on the monotonic clock.
public struct SystemWaitingClock: WaitingClock {
    private let clock = ContinuousClock()
    private let origin: ContinuousClock.Instant

    public init() { origin = clock.now }

    public func elapsedMilliseconds() -> Int64 {
        let elapsed = origin.duration(to: clock.now).components
        return elapsed.seconds * 1000 + elapsed.attoseconds / 1_000_000_000_000_000
    }

    public func sleep(milliseconds: Int64) async throws {
        try await clock.sleep(for: .milliseconds(max(0, milliseconds)))
    }
}

/// Waiting that takes no time: a sleep moves the clock forward by its length and returns at
/// once. Rate limits, pauses and patience keep their arithmetic, so tests and simulations run
/// them fast and the same way every time.
public final class InstantWaitingClock: WaitingClock, @unchecked Sendable {
    // A lock, not an actor: `elapsedMilliseconds` is synchronous.
    private let lock = NSLock()
    private var current: Int64 = 0

    public init() {}

    public func elapsedMilliseconds() -> Int64 { lock.withLock { current } }

    public func sleep(milliseconds: Int64) async throws {
        try Task.checkCancellation()
        lock.withLock { current += max(0, milliseconds) }
        // Let other tasks run, as a real sleep would.
        await Task.yield()
    }
}
