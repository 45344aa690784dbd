import Foundation
import InboxLog
import Ledger
import Store
import ServiceLifecycle
import TalkVaultDomain

/// Makes webhook bodies durable before their requests are answered, then applies them.
///
/// Two threads, so the path to a 200 never waits on the ledger. The writer thread (`tv-writer`)
/// only appends to the inbox log: every body that arrives while an append is in flight goes
/// into the next one, sharing its fsync (group commit). The applier thread (`tv-applier`) owns
/// the ledger and applies inbox bodies to the message tables once no request has arrived for
/// `applyIdleMilliseconds`, ending each transaction as soon as more requests arrive. Another
/// process holding the ledger's write lock (a command, a migration) delays only the apply.
/// The inbox is bounded: once it holds `maxBacklogBytes`, commits wait for the apply, so
/// acknowledgements slow to the apply rate and the backlog stays bounded.
///
/// When requests come one at a time, a request that finds the writer idle commits its own body
/// on its own thread (see `Settings.commitOnCaller`).
///
/// A `Service`: nothing starts in `init`; `run()` starts both threads and, at graceful shutdown
/// (after the HTTP server has stopped accepting: a service group stops its services in reverse
/// order), commits what is in flight, applies for a while, and ends them.
public final class GroupCommitter: Service, @unchecked Sendable, CustomStringConvertible {
    // Everything below is guarded by `condition`. The log's appends are made only by whoever set
    // `appending` (the writer thread or one caller); the ledger is used only by the applier
    // thread. That confinement is why this type is @unchecked Sendable.
    private let condition = NSCondition()
    private var pending: [Waiting] = []
    private var started = false
    private var stopping = false
    private var writerStopped = false
    private var applierStopped = false
    /// True while the writer thread or a caller appends to the log.
    private var appending = false
    private var backlogBodies = 0
    private var backlogBytes = 0
    /// Uptime (ns) of the last request, and how many have arrived: the applier's cue to wait.
    private var lastArrival: UInt64 = 0
    private var arrivals: UInt64 = 0
    private var lastCommitBodies = 0
    /// Bodies and bytes ever committed by this process: what a recount of the backlog adds to
    /// what it read, for the commits made while it read.
    private var committedBodies = 0
    private var committedBytes = 0
    /// The applier sleeps on a condition of its own, woken only when there is news for it (a
    /// first body in an empty inbox, the bound, shutdown): one condition for both threads woke
    /// the applier on every request, which at one connection cost a tenth of an answer.
    private let applierWake = NSCondition()
    private var applierWakeRequested = false
    private let capturer: Capturer
    private let log: InboxLogWriter
    private let settings: Settings
    private let onCommit: @Sendable (CommitSummary) -> Void
    private let onApply: @Sendable (ApplySummary) -> Void
    private let checkpointer: WALCheckpointer?

    private struct Waiting {
        let body: Data
        let channel: String
        let continuation: CheckedContinuation<Result<Void, LedgerError>, Never>
    }

    /// Limits of the writer and the applier.
    public struct Settings: Sendable {
        /// The most bodies in one append to the inbox log.
        public var maxCommitBodies = 1_000
        /// The most bodies in one apply transaction; it ends sooner when requests arrive.
        public var maxApplyBodies = 500
        /// Inbox bytes past which acknowledgements wait for the apply.
        public var maxBacklogBytes = 1 << 30
        /// Quiet time before the applier applies: applying competes with requests for CPU, so
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
        /// Making the applied position durable, or deleting the applied segments beyond the
        /// spares, failed: they stay on disk, and the next apply tries again.
        public var trimFailed: LedgerError?
    }

    /// - Parameters:
    ///   - capturer: its ledger is used by the applier thread only.
    ///   - log: where bodies are committed; closed at shutdown.
    ///   - checkpointer: copies the WAL into the database after applies, off the applier's
    ///     thread; a service of its own, poked after each apply.
    ///   - onCommit, onApply: run on the writer's (or a caller's) and the applier's thread after
    ///     every commit and apply.
    public init(capturer: Capturer, log: InboxLogWriter, settings: Settings = Settings(), checkpointer: WALCheckpointer? = nil,
                onCommit: @escaping @Sendable (CommitSummary) -> Void = { _ in },
                onApply: @escaping @Sendable (ApplySummary) -> Void = { _ in }) {
        self.capturer = capturer
        self.log = log
        self.settings = settings
        self.onCommit = onCommit
        self.onApply = onApply
        self.checkpointer = checkpointer
    }

    public var description: String { "GroupCommitter" }

    public func run() async throws {
        start()
        try? await gracefulShutdown()
        await shutdown()
    }

    /// Starts the writer and applier threads; bodies submitted before wait for it.
    public func start() {
        guard condition.withLock({ !started }) else { return }
        // Left over from a crash or a stop: applied while the server runs. Counted before any
        // commit can add to the log; the applier thread has not started, so the ledger is free.
        let (bodies, bytes) = (try? InboxApplier(capturer.ledger).size()) ?? (0, 0)
        condition.withLock {
            backlogBodies += bodies
            backlogBytes += bytes
            started = true
        }
        // Named from inside: a name set before start does not reach the kernel on Linux,
        // which also refuses names over 15 bytes. For `top` and `perf`.
        Thread.detachNewThread { [self] in
            Thread.current.name = "tv-writer"
            runWriter()
        }
        Thread.detachNewThread { [self] in
            Thread.current.name = "tv-applier"
            runApplier()
        }
    }

    /// Appends a checked body, signed for `channel`, to the inbox log; returns once it is
    /// durable, or the write failed.
    public func submit(_ body: Data, channel: String = ChannelName.implicit) async -> Result<Void, LedgerError> {
        if claimCallerTurn() {
            var (result, summary) = store([(body, channel)])
            condition.withLock {
                appending = false
                // Only a body that queued meanwhile, or shutdown, waits for the turn to end.
                if !pending.isEmpty || stopping { condition.broadcast() }
            }
            summary.onCaller = true
            onCommit(summary)
            return result
        }
        return await withCheckedContinuation { continuation in
            condition.lock()
            if stopping {
                condition.unlock()
                continuation.resume(returning: .failure(.io(path: capturer.ledger.path, reason: "the server is shutting down")))
                return
            }
            pending.append(Waiting(body: body, channel: channel, continuation: continuation))
            arrived()
            condition.broadcast()
            condition.unlock()
        }
    }

    /// Notes a request's arrival; the caller holds `condition`.
    private func arrived() {
        lastArrival = DispatchTime.now().uptimeNanoseconds
        arrivals &+= 1
    }

    /// The inbox holds `maxBacklogBytes`: commits wait for the apply. The caller holds `condition`.
    private var atBound: Bool { backlogBodies > 0 && backlogBytes >= settings.maxBacklogBytes }

    /// Takes the log for one caller's commit when nothing else wants it.
    private func claimCallerTurn() -> Bool {
        condition.withLock {
            guard settings.commitOnCaller, started, !appending, !stopping, pending.isEmpty, lastCommitBodies <= 1, !atBound else {
                return false
            }
            appending = true
            lastCommitBodies = 1
            arrived()
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
    /// `settings.shutdownApplySeconds`, then stops both threads and closes the log.
    public func shutdown() async {
        let wasStarted = condition.withLock {
            stopping = true
            condition.broadcast()
            return started
        }
        wakeApplier()
        if wasStarted {
            // Both threads mark themselves stopped; wait without blocking a task thread.
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                Thread.detachNewThread { [self] in
                    condition.lock()
                    while !(writerStopped && applierStopped) { condition.wait() }
                    condition.unlock()
                    done.resume()
                }
            }
        }
        log.close()
    }

    // MARK: The writer thread

    private func runWriter() {
        while true {
            condition.lock()
            // A caller's commit in progress comes first; at the bound, commits wait for the apply.
            while appending || (pending.isEmpty && !stopping) || (!pending.isEmpty && atBound && !stopping && !applierStopped) {
                condition.wait()
            }
            if pending.isEmpty {
                writerStopped = true
                condition.broadcast()
                condition.unlock()
                wakeApplier()
                return
            }
            let batch = Array(pending.prefix(settings.maxCommitBodies))
            pending.removeFirst(batch.count)
            appending = true
            lastCommitBodies = batch.count
            condition.unlock()
            let (result, summary) = store(batch.map { ($0.body, $0.channel) })
            for waiting in batch { waiting.continuation.resume(returning: result) }
            condition.withLock { appending = false }
            onCommit(summary)
        }
    }

    /// One fsynced append to the inbox log, by whoever holds `appending`.
    private func store(_ bodies: [(body: Data, channel: String)]) -> (Result<Void, LedgerError>, CommitSummary) {
        let started = DispatchTime.now().uptimeNanoseconds
        let bytes = bodies.reduce(0) { $0 + $1.body.count }
        var summary = CommitSummary(bodies: bodies.count, bytes: bytes, failed: nil, seconds: 0)
        let result: Result<Void, LedgerError>
        do {
            try capturer.enqueue(bodies, to: log)
            let news = condition.withLock {
                let (wasEmpty, wasAtBound) = (backlogBodies == 0, atBound)
                backlogBodies += bodies.count
                backlogBytes += bytes
                committedBodies &+= bodies.count
                committedBytes &+= bytes
                return wasEmpty || (atBound && !wasAtBound)
            }
            if news { wakeApplier() }
            result = .success(())
        } catch {
            summary.failed = error
            result = .failure(error)
        }
        summary.seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        return (result, summary)
    }

    // MARK: The applier thread

    /// After a failed apply, the applier waits until then (uptime ns).
    private var applyNotBefore: UInt64 = 0
    /// Making the applied position durable, or trimming the log, failed: tried after each apply.
    private var trimOwed = false

    private enum ApplierStep {
        case apply(arrivalsBefore: UInt64)
        /// Sleep until woken, or until this uptime (ns).
        case wait(until: UInt64?)
        case stop
    }

    private func runApplier() {
        var stopDeadline: UInt64?
        while true {
            let step: ApplierStep = condition.withLock {
                let now = DispatchTime.now().uptimeNanoseconds
                if writerStopped {
                    let deadline = stopDeadline ?? now + UInt64(settings.shutdownApplySeconds * 1e9)
                    stopDeadline = deadline
                    if backlogBodies == 0 || now >= deadline {
                        applierStopped = true
                        condition.broadcast()
                        return .stop
                    }
                }
                if backlogBodies == 0 { return .wait(until: nil) }
                // Apply once requests have been quiet for a moment (and not before a failed
                // apply's retry time); at the bound or at shutdown, at once.
                let urgent = atBound || stopping
                let ready = urgent ? applyNotBefore : max(lastArrival &+ UInt64(settings.applyIdleMilliseconds) * 1_000_000, applyNotBefore)
                return now >= ready ? .apply(arrivalsBefore: arrivals) : .wait(until: ready)
            }
            switch step {
            case .stop:
                return
            case .apply(let arrivalsBefore):
                apply(arrivalsBefore: arrivalsBefore)
            case .wait(let until):
                applierWake.lock()
                while !applierWakeRequested {
                    guard let until else { applierWake.wait(); continue }
                    let now = DispatchTime.now().uptimeNanoseconds
                    if now >= until || !applierWake.wait(until: Date(timeIntervalSinceNow: Double(until - now) / 1e9)) { break }
                }
                applierWakeRequested = false
                applierWake.unlock()
            }
        }
    }

    /// Tells the applier there is news: it looks at the state again.
    private func wakeApplier() {
        applierWake.withLock {
            applierWakeRequested = true
            applierWake.signal()
        }
    }

    private func apply(arrivalsBefore: UInt64) {
        let started = DispatchTime.now().uptimeNanoseconds
        var summary = ApplySummary(applied: InboxApplied(), failed: nil, seconds: 0, backlog: 0)
        do {
            // End the transaction early when requests arrive, so the apply does not take the CPU
            // from them; at the bound and at shutdown, go on.
            let applied = try capturer.applyInbox(limit: settings.maxApplyBodies) { [self] in
                condition.withLock { arrivals != arrivalsBefore && !atBound && !stopping }
            }
            summary.applied = applied
            if applied.bodies > 0 { checkpointer?.poke() }
            // Nothing applied: the count is off (another process applied bodies, or they sit in a
            // segment made after the apply listed the log). Counted again from the log.
            let recount = applied.bodies == 0 ? recountBacklog() : nil
            summary.backlog = condition.withLock {
                if let (bodies, bytes) = recount {
                    (backlogBodies, backlogBytes) = (bodies, bytes)
                    // Bodies the apply could not reach: try again soon, not in a tight loop.
                    if bodies > 0 { applyNotBefore = DispatchTime.now().uptimeNanoseconds + 100_000_000 }
                } else {
                    backlogBodies = max(0, backlogBodies - applied.bodies)
                    backlogBytes = backlogBodies == 0 ? 0 : max(0, backlogBytes - applied.bytes)
                }
                condition.broadcast()
                return backlogBodies
            }
            if applied.position.segment > log.appliedDurablyBelow || trimOwed {
                do throws(LedgerError) {
                    try releaseApplied(below: applied.position.segment)
                    trimOwed = false
                } catch {
                    trimOwed = true
                    summary.trimFailed = error
                }
            }
        } catch {
            summary.failed = error
            // Leave the backlog as is; commits go on, and the apply is tried again in a second.
            condition.withLock { applyNotBefore = DispatchTime.now().uptimeNanoseconds + 1_000_000_000 }
        }
        summary.seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        onApply(summary)
    }

    /// What waits in the log, read from it, plus what was committed while it was read (which
    /// may count a body twice: the next apply finds fewer and recounts). Nil when unreadable.
    private func recountBacklog() -> (Int, Int)? {
        let (bodies, bytes) = condition.withLock { (committedBodies, committedBytes) }
        guard let (read, readBytes) = try? InboxApplier(capturer.ledger).size() else { return nil }
        return condition.withLock { (read + committedBodies - bodies, readBytes + committedBytes - bytes) }
    }

    /// Makes the applied position durable, then lets the log reuse or delete the segments below it.
    private func releaseApplied(below segment: UInt64) throws(LedgerError) {
        if segment > log.appliedDurablyBelow {
            try capturer.ledger.inboxStore.makeInboxPositionDurable()
            log.applied(durablyBelow: segment)
        }
        do { try log.trim() } catch { throw LedgerError(error) }
    }
}
