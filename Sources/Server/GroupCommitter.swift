import Capture
import Foundation
import Ledger
import TalkVaultDomain

/// Stores webhook bodies durably before their requests are answered, with group commit: one
/// writer thread owns the ledger, and every body that arrives while a commit is in flight is
/// stored together in the next transaction, sharing its fsync. Throughput is therefore not
/// capped at one fsync per request.
public final class GroupCommitter: @unchecked Sendable {
    // Everything below is guarded by `condition`, except `capturer`, which only the writer
    // thread touches after init: that confinement is why this type is @unchecked Sendable.
    private let condition = NSCondition()
    private var pending: [Waiting] = []
    private var stopping = false
    private var stopped = false
    private let capturer: Capturer
    private let maxBatch: Int
    private let onBatch: @Sendable (BatchSummary) -> Void

    private struct Waiting {
        let body: CapturedBody
        let continuation: CheckedContinuation<Result<CaptureCounts, LedgerError>, Never>
    }

    /// What one commit did, for logs and metrics.
    public struct BatchSummary: Sendable {
        public var bodies: Int
        public var counts: CaptureCounts
        public var failed: LedgerError?
        public var seconds: Double
    }

    /// Starts the writer thread. `onBatch` runs on it after every commit.
    public init(capturer: Capturer, maxBatch: Int = 1_000, onBatch: @escaping @Sendable (BatchSummary) -> Void = { _ in }) {
        self.capturer = capturer
        self.maxBatch = maxBatch
        self.onBatch = onBatch
        let thread = Thread { [self] in self.run() }
        thread.name = "talkvault-ledger-writer"
        thread.start()
    }

    /// Stores a parsed body and returns once it is committed, or the write failed.
    public func submit(_ body: CapturedBody) async -> Result<CaptureCounts, LedgerError> {
        await withCheckedContinuation { continuation in
            condition.lock()
            if stopped {
                condition.unlock()
                continuation.resume(returning: .failure(.io(path: capturer.ledger.path, reason: "the server is shutting down")))
                return
            }
            pending.append(Waiting(body: body, continuation: continuation))
            condition.signal()
            condition.unlock()
        }
    }

    /// Commits everything already submitted, then stops the writer thread.
    public func shutdown() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            condition.lock()
            stopping = true
            condition.broadcast()
            condition.unlock()
            // The writer marks `stopped` once it has drained; poll without blocking a task thread.
            Thread.detachNewThread { [self] in
                condition.lock()
                while !stopped { condition.wait() }
                condition.unlock()
                done.resume()
            }
        }
    }

    private func run() {
        while true {
            condition.lock()
            while pending.isEmpty && !stopping { condition.wait() }
            if pending.isEmpty && stopping {
                stopped = true
                condition.broadcast()
                condition.unlock()
                return
            }
            let batch = Array(pending.prefix(maxBatch))
            pending.removeFirst(batch.count)
            condition.unlock()

            let started = DispatchTime.now().uptimeNanoseconds
            var summary = BatchSummary(bodies: batch.count, counts: CaptureCounts(), failed: nil, seconds: 0)
            do {
                let results = try capturer.store(batch.map(\.body))
                for (waiting, counts) in zip(batch, results) {
                    summary.counts.add(counts)
                    waiting.continuation.resume(returning: .success(counts))
                }
            } catch {
                summary.failed = error
                for waiting in batch { waiting.continuation.resume(returning: .failure(error)) }
            }
            summary.seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            onBatch(summary)
        }
    }
}
