import Foundation

/// Where sign-ins' bcrypt checks run: threads of their own, never Swift's cooperative pool,
/// where every page runs (a few checks there, a quarter of a second each, held all its threads
/// and stalled every page, /healthz included). At most `parallel` run at once and `limit` are
/// in hand in all; past that a check is not started and the caller answers 503.
final class PasswordChecks: @unchecked Sendable {
    private let slots: DispatchSemaphore
    private let lock = NSLock()
    private var inHand = 0
    private let limit: Int

    init(parallel: Int, limit: Int) {
        slots = DispatchSemaphore(value: max(1, parallel))
        self.limit = limit
    }

    /// Checks running or waiting now.
    var inHandCount: Int { lock.withLock { inHand } }

    /// The console's: as many at once as there are processors, 64 in hand at most.
    static let shared = PasswordChecks(parallel: ProcessInfo.processInfo.activeProcessorCount, limit: 64)

    /// `body`'s result, run on a thread of its own; nil when `limit` checks are already in hand.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T? {
        let taken = lock.withLock { () -> Bool in
            guard inHand < limit else { return false }
            inHand += 1
            return true
        }
        guard taken else { return nil }
        let result: T = try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                self.slots.wait()
                let result = Result { try body() }
                self.slots.signal()
                self.lock.withLock { self.inHand -= 1 }
                continuation.resume(with: result)
            }
        }
        return result
    }
}
