import Capture
import Foundation
import InboxLog
import Ledger
import TalkVaultDomain

/// Makes webhook bodies durable before their requests are answered, then applies them.
///
/// One writer thread owns the ledger and the inbox log. Every body that arrives while an append
/// is in flight goes into the next one, sharing its fsync (group commit), so throughput is not
/// capped at one fsync per request. Once no request has arrived for `applyIdleMilliseconds`,
/// the writer applies inbox bodies to the message tables, ending each transaction as soon as a
/// request waits. So a burst is acknowledged at the HTTP server's pace and applied after it;
/// the inbox grows meanwhile, and once it holds `maxBacklogBytes` the writer alternates
/// applying and committing: acknowledgements slow to the apply rate and the backlog stays bounded.
///
/// When requests come one at a time, a request that finds the writer idle commits its own body
/// on its own thread (see `Settings.commitOnCaller`).
public final class GroupCommitter: @unchecked Sendable {
    // Everything below is guarded by `condition`; the ledger is used only by whoever set
    // `writing` (the writer thread or one caller), and so is the log. That is why this type is
    // @unchecked Sendable.
    private let condition = NSCondition()
    private var pending: [Waiting] = []
    private var stopping = false
    private var stopped = false
    /// True while the writer thread or a caller uses the ledger.
    private var writing = false
    private var backlogBodies = 0
    private var backlogBytes = 0
    private var lastArrival: UInt64 = 0
    private let capturer: Capturer
    private let log: InboxLogWriter
    private let settings: Settings
    private let onCommit: @Sendable (CommitSummary) -> Void
    private let onApply: @Sendable (ApplySummary) -> Void
    private let checkpointer: WALCheckpointer?

    private struct Waiting {
        let body: Data
        let continuation: CheckedContinuation<Result<Void, LedgerError>, Never>
    }

    /// Limits of the writer.
    public struct Settings: Sendable {
        /// The most bodies in one append to the inbox log.
        public var maxCommitBodies = 1_000
        /// The most bodies in one apply transaction; it ends sooner when a request waits.
        public var maxApplyBodies = 500
        /// Inbox bytes past which acknowledgements wait for the apply.
        public var maxBacklogBytes = 1 << 30
        /// Quiet time before the writer applies: applying competes with requests for CPU, so
        /// a saturated server defers it (bounded by `maxBacklogBytes`).
        public var applyIdleMilliseconds = 2
        /// How long shutdown keeps applying before it leaves the rest for the next start.
        public var shutdownApplySeconds: Double = 5
        /// A request that finds the writer idle, nothing waiting and the last commit a single
        /// body commits on its own thread. One request at a time then costs no hand-off to the
        /// writer thread and back (about a third of its latency at concurrency 1 on a 2-core
        /// machine); it blocks one task thread for an fsync, which is why it is only taken
        /// when nothing else waits. Under concurrency, bodies queue for the writer as before.
        public var commitOnCaller = true

        public init() {}
    }

    /// One fsynced append to the inbox log.
    public struct CommitSummary: Sendable {
        public var bodies: Int
        public var bytes: Int
        public var failed: LedgerError?
        public var seconds: Double
        /// Committed on the request's thread rather than the writer's.
        public var onCaller = false
    }

    /// One apply transaction.
    public struct ApplySummary: Sendable {
        public var applied: InboxApplied
        public var failed: LedgerError?
        public var seconds: Double
        /// Bodies still in the inbox after it.
        public var backlog: Int
        /// Deleting the applied segments beyond the spares failed: they stay on disk, and the
        /// next apply tries again.
        public var trimFailed: LedgerError?
    }

    /// Starts the writer thread. The callbacks run on it after every commit and apply.
    /// - Parameters:
    ///   - log: where bodies are committed; its makeDurable must use `capturer`'s ledger, which
    ///     only the writer (or a caller holding its turn) touches. Closed at shutdown.
    ///   - checkpointer: copies the WAL into the database after applies, off this writer's
    ///     thread; shutdown stops it.
    public init(capturer: Capturer, log: InboxLogWriter, settings: Settings = Settings(), checkpointer: WALCheckpointer? = nil,
                onCommit: @escaping @Sendable (CommitSummary) -> Void = { _ in },
                onApply: @escaping @Sendable (ApplySummary) -> Void = { _ in }) {
        self.capturer = capturer
        self.log = log
        self.settings = settings
        self.onCommit = onCommit
        self.onApply = onApply
        self.checkpointer = checkpointer
        // Left over from a crash or a stop: applied while the server runs.
        (backlogBodies, backlogBytes) = (try? capturer.ledger.inboxSize()) ?? (0, 0)
        let thread = Thread { [self] in
            // Named from inside: a name set before start does not reach the kernel on Linux,
            // which also refuses names over 15 bytes. For `top` and `perf`.
            Thread.current.name = "tv-writer"
            self.run()
        }
        thread.start()
    }

    /// Appends a checked, signed body to the inbox log; returns once it is durable, or the write failed.
    public func submit(_ body: Data) async -> Result<Void, LedgerError> {
        if claimCallerTurn() {
            var (result, summary) = store([body])
            condition.withLock {
                writing = false
                condition.broadcast()
            }
            summary.onCaller = true
            onCommit(summary)
            return result
        }
        return await withCheckedContinuation { continuation in
            condition.lock()
            if stopped {
                condition.unlock()
                continuation.resume(returning: .failure(.io(path: capturer.ledger.path, reason: "the server is shutting down")))
                return
            }
            pending.append(Waiting(body: body, continuation: continuation))
            lastArrival = DispatchTime.now().uptimeNanoseconds
            condition.signal()
            condition.unlock()
        }
    }

    /// Takes the ledger for one caller's commit when nothing else wants it.
    private func claimCallerTurn() -> Bool {
        condition.withLock {
            guard settings.commitOnCaller, !writing, !stopping, pending.isEmpty, lastCommitBodies <= 1,
                  backlogBytes < settings.maxBacklogBytes else { return false }
            writing = true
            lastWasCommit = true
            lastCommitBodies = 1
            lastArrival = DispatchTime.now().uptimeNanoseconds
            return true
        }
    }

    /// Bodies committed but not yet applied.
    public var backlog: Int { condition.withLock { backlogBodies } }

    /// Returns once nothing waits to be committed or applied.
    public func waitUntilApplied() async {
        while condition.withLock({ !pending.isEmpty || backlogBodies > 0 }) {
            try? await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Commits everything already submitted, applies the inbox for at most
    /// `settings.shutdownApplySeconds`, then stops the writer thread.
    public func shutdown() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            condition.lock()
            stopping = true
            condition.broadcast()
            condition.unlock()
            // The writer marks `stopped` once it has drained; wait without blocking a task thread.
            Thread.detachNewThread { [self] in
                condition.lock()
                while !stopped { condition.wait() }
                condition.unlock()
                checkpointer?.stop()
                done.resume()
            }
        }
    }

    private enum Step {
        case commit([Waiting])
        case apply
        case stop
    }

    private var lastWasCommit = false
    /// After a failed apply, the writer waits this long before the next (uptime ns).
    private var applyNotBefore: UInt64 = 0
    private var lastCommitBodies = 0
    /// A trim of the log failed; the writer tries again after each apply.
    private var trimOwed = false
    private var stopDeadline: UInt64?

    private func next() -> Step {
        condition.lock()
        defer { condition.unlock() }
        let idle = UInt64(settings.applyIdleMilliseconds) * 1_000_000
        while true {
            // A caller's commit in progress comes first, even at shutdown.
            while writing || (pending.isEmpty && backlogBodies == 0 && !stopping) { condition.wait() }
            guard pending.isEmpty && !stopping && backlogBytes < settings.maxBacklogBytes else { break }
            // Only a backlog: apply once requests have been quiet for a moment (and not before
            // a failed apply's retry time).
            let now = DispatchTime.now().uptimeNanoseconds
            let ready = max(lastArrival &+ idle, applyNotBefore)
            if now >= ready { break }
            _ = condition.wait(until: Date(timeIntervalSinceNow: Double(ready - now) / 1e9))
        }
        // At the bound, an apply comes between commits; at shutdown, what is pending goes first.
        let applyTurn = backlogBytes >= settings.maxBacklogBytes && lastWasCommit && backlogBodies > 0
        if !pending.isEmpty && (stopping || !applyTurn) {
            let batch = Array(pending.prefix(settings.maxCommitBodies))
            pending.removeFirst(batch.count)
            writing = true
            lastWasCommit = true
            lastCommitBodies = batch.count
            return .commit(batch)
        }
        if stopping {
            let now = DispatchTime.now().uptimeNanoseconds
            let deadline = stopDeadline ?? now + UInt64(settings.shutdownApplySeconds * 1e9)
            stopDeadline = deadline
            if backlogBodies == 0 || now >= deadline {
                stopped = true
                condition.broadcast()
                return .stop
            }
        }
        writing = true
        lastWasCommit = false
        return .apply
    }

    private func run() {
        while true {
            switch next() {
            case .stop:
                log.close()
                return
            case .commit(let batch):
                let (result, summary) = store(batch.map(\.body))
                for waiting in batch { waiting.continuation.resume(returning: result) }
                endTurn()
                onCommit(summary)
            case .apply:
                apply()
                endTurn()
            }
        }
    }

    private func endTurn() {
        condition.withLock {
            writing = false
            condition.broadcast()
        }
    }

    /// One fsynced append to the inbox log, by whoever holds `writing`.
    private func store(_ bodies: [Data]) -> (Result<Void, LedgerError>, CommitSummary) {
        let started = DispatchTime.now().uptimeNanoseconds
        let bytes = bodies.reduce(0) { $0 + $1.count }
        var summary = CommitSummary(bodies: bodies.count, bytes: bytes, failed: nil, seconds: 0)
        let result: Result<Void, LedgerError>
        do {
            try capturer.enqueue(bodies, to: log)
            condition.withLock {
                backlogBodies += bodies.count
                backlogBytes += bytes
            }
            result = .success(())
        } catch {
            summary.failed = error
            result = .failure(error)
        }
        summary.seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        return (result, summary)
    }

    private func apply() {
        let started = DispatchTime.now().uptimeNanoseconds
        var summary = ApplySummary(applied: InboxApplied(), failed: nil, seconds: 0, backlog: 0)
        do {
            // End the transaction early when a request waits; at the backlog's bound, only once
            // it has applied as many bodies as the last commit added, so the backlog cannot grow.
            var done = 0
            let minimum = condition.withLock { lastCommitBodies }
            let applied = try capturer.applyInbox(limit: settings.maxApplyBodies) { [self] in
                done += 1
                return condition.withLock { !pending.isEmpty && (backlogBytes < settings.maxBacklogBytes || done >= minimum) }
            }
            summary.applied = applied
            if applied.bodies > 0 { checkpointer?.poke() }
            if log.applied(through: applied.position) || trimOwed {
                do throws(InboxLogError) {
                    try log.trim()
                    trimOwed = false
                } catch {
                    trimOwed = true
                    summary.trimFailed = LedgerError(error)
                }
            }
            summary.backlog = condition.withLock {
                // Nothing applied means another process (a command) emptied the inbox.
                backlogBodies = applied.bodies == 0 ? 0 : max(0, backlogBodies - applied.bodies)
                if backlogBodies == 0 { backlogBytes = 0 } else { backlogBytes = max(0, backlogBytes - applied.bytes) }
                return backlogBodies
            }
        } catch {
            summary.failed = error
            // Leave the backlog as is; commits go on, and the apply is tried again in a second.
            applyNotBefore = DispatchTime.now().uptimeNanoseconds + 1_000_000_000
        }
        summary.seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        onApply(summary)
    }
}
