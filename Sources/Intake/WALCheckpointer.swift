import Foundation
import Ledger
import Store
import ServiceLifecycle

/// Copies the ledger's WAL into the database file on a thread and a connection of its own, so
/// that the writer's commits do not stop while a checkpoint copies pages and fsyncs the file.
///
/// Measured with 10-event bodies under `scripts/bench-serve`-style load: with only the writer's
/// automatic checkpoints (every 10,000 pages), the p99 of acknowledgements was 41 / 125 / 175 ms
/// at 1 / 16 / 64 connections; with this thread, 4 / 18 / 30 ms, at the same throughput. A
/// passive checkpoint never waits for the writer, so this thread only copies what is
/// committed. The writer keeps a small automatic checkpoint (`serve`: 1,000 pages) as the
/// backstop that lets the WAL start over: SQLite rewinds the WAL only when a transaction begins
/// with every frame copied, which a busy writer rarely finds, and by then this thread has copied
/// most of it, so that checkpoint is short.
///
/// A `Service`: `run()` starts the thread and, at graceful shutdown, stops it after the checkpoint
/// in progress. Listed before the group committer, it outlives the committer's last applies.
public final class WALCheckpointer: Service, @unchecked Sendable, CustomStringConvertible {
    // `requested`, `started`, `stopping` and `stopped` are guarded by `condition`; `checkpoints`
    // and `lastFailure` are touched only by the thread: that confinement is why this is @unchecked.
    private let condition = NSCondition()
    private var requested = false
    private var started = false
    private var stopping = false
    private var stopped = false
    private let checkpoints: LedgerCheckpoints
    private let pause: Double
    private let onFailure: @Sendable (LedgerError) -> Void
    private var lastFailure: String?

    /// Opens a second connection to the ledger at `path`; `run` (or `start`) starts the thread.
    /// - Parameters:
    ///   - pauseMilliseconds: the least time between two checkpoints, so that a burst of commits
    ///     costs one database fsync per pause, not one per commit.
    ///   - onFailure: called (on the thread) when a checkpoint fails, once per distinct error.
    ///     A failure is not fatal: the writer's own checkpoints still run.
    public init(path: String, pauseMilliseconds: Int = 100,
                onFailure: @escaping @Sendable (LedgerError) -> Void = { _ in }) throws(LedgerError) {
        checkpoints = try LedgerCheckpoints(path: path)
        pause = Double(pauseMilliseconds) / 1000
        self.onFailure = onFailure
    }

    public var description: String { "WALCheckpointer" }

    /// Starts the thread, and stops it at graceful shutdown.
    public func run() async throws {
        start()
        try? await gracefulShutdown()
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            // `stop` waits for the thread: not on a task's thread.
            Thread.detachNewThread { [self] in
                stop()
                done.resume()
            }
        }
    }

    /// Starts the thread (once).
    public func start() {
        guard condition.withLock({ () -> Bool in
            defer { started = true }
            return !started
        }) else { return }
        Thread.detachNewThread { [self] in
            // Named from inside: a name set before start does not reach the kernel on Linux,
            // which also refuses names over 15 bytes. For `top` and `perf`.
            Thread.current.name = "tv-checkpointer"
            self.runThread()
        }
    }

    /// Asks for a checkpoint: something was committed. Cheap; call it after every commit.
    public func poke() {
        condition.lock()
        if !requested {
            requested = true
            condition.signal()
        }
        condition.unlock()
    }

    /// Stops the thread after the checkpoint in progress, and waits for it (at once when it was
    /// never started).
    public func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while started && !stopped { condition.wait() }
        condition.unlock()
    }

    private func runThread() {
        while true {
            condition.lock()
            while !requested && !stopping { condition.wait() }
            requested = false
            if stopping {
                stopped = true
                condition.broadcast()
                condition.unlock()
                return
            }
            condition.unlock()
            checkpoint()
            // Commits during the pause gather into the next checkpoint.
            condition.lock()
            if !stopping { _ = condition.wait(until: Date(timeIntervalSinceNow: pause)) }
            condition.unlock()
        }
    }

    private func checkpoint() {
        do {
            try checkpoints.checkpoint()
            lastFailure = nil
        } catch {
            if error.description != lastFailure { onFailure(error) }
            lastFailure = error.description
        }
    }
}
