import Foundation
import SQLiteDB

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
public final class WALCheckpointer: @unchecked Sendable {
    // `requested`, `stopping` and `stopped` are guarded by `condition`; `db` and `lastFailure`
    // are touched only by the thread after init: that confinement is why this is @unchecked.
    private let condition = NSCondition()
    private var requested = false
    private var stopping = false
    private var stopped = false
    private let db: Database
    private let pause: Double
    private let onFailure: @Sendable (LedgerError) -> Void
    private var lastFailure: String?

    /// Opens a second connection to the ledger at `path` and starts the thread.
    /// - Parameters:
    ///   - pauseMilliseconds: the least time between two checkpoints, so that a burst of commits
    ///     costs one database fsync per pause, not one per commit.
    ///   - onFailure: called (on the thread) when a checkpoint fails, once per distinct error.
    ///     A failure is not fatal: the writer's own checkpoints still run.
    public init(path: String, pauseMilliseconds: Int = 100,
                onFailure: @escaping @Sendable (LedgerError) -> Void = { _ in }) throws(LedgerError) {
        do {
            db = try Database(path: path, options: OpenOptions(create: false, cacheKibibytes: 2048))
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
        pause = Double(pauseMilliseconds) / 1000
        self.onFailure = onFailure
        let thread = Thread { [self] in
            // Named from inside: a name set before start does not reach the kernel on Linux,
            // which also refuses names over 15 bytes. For `top` and `perf`.
            Thread.current.name = "tv-checkpointer"
            self.run()
        }
        thread.start()
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

    /// Stops the thread after the checkpoint in progress, and waits for it.
    public func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !stopped { condition.wait() }
        condition.unlock()
    }

    private func run() {
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
            _ = try db.checkpointPassive()
            lastFailure = nil
        } catch {
            let failure = LedgerError.wrap(error, path: db.path)
            if failure.description != lastFailure { onFailure(failure) }
            lastFailure = failure.description
        }
    }
}
