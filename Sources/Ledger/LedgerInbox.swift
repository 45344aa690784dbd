import Foundation
import LINE
import SQLiteDB
import TalkVaultDomain

/// What one pass over the inbox applied.
public struct InboxApplied: Sendable, Equatable {
    /// Bodies taken off the inbox, rejected ones included.
    public var bodies = 0
    /// Their size in bytes.
    public var bytes = 0
    /// Bodies the full parse or the schema refused: moved to `inbox_rejected`.
    public var rejected = 0
    public var counts = CaptureCounts()
    /// The oldest applied body's receipt time, to report how far behind the apply runs.
    public var oldestReceivedAt: Instant?

    public init() {}
}

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

extension Ledger {
    /// Commits signed webhook bodies to the inbox in one transaction. With the default
    /// `synchronous=FULL`, they survive a crash or power loss once this returns.
    public func enqueue(_ bodies: [Data], receivedAt: Instant, autoRead: Bool) throws(LedgerError) {
        try transaction {
            for body in bodies {
                try db.run("INSERT INTO webhook_inbox(received_at_ms, auto_read, body) VALUES (?1, ?2, ?3)",
                           [.integer(receivedAt.milliseconds), .bool(autoRead), .blob(Array(body))])
            }
        }
    }

    /// Bodies waiting in the inbox, and their bytes.
    public func inboxSize() throws(LedgerError) -> (bodies: Int, bytes: Int) {
        do {
            return try db.first("SELECT count(*), coalesce(sum(length(body)), 0) FROM webhook_inbox") {
                (Int($0.int64(0)), Int($0.int64(1)))
            } ?? (0, 0)
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    /// Applies inbox bodies oldest first, in one transaction, through the same capture as
    /// `ingest`, and deletes them in that transaction: each body is applied exactly once, even
    /// when a crash or another process interrupts. Holds one body in memory at a time.
    /// - Parameters:
    ///   - limit: the most bodies to apply.
    ///   - durable: fsync the commit. Without it a power loss can undo the apply, but never the
    ///     inbox rows it deleted, so nothing is lost: the bodies are applied again.
    ///   - yield: asked after each body; true ends the pass early (someone waits for the writer).
    public func applyInbox(limit: Int = 1_000, durable: Bool = true,
                           yield: () -> Bool = { false }) throws(LedgerError) -> InboxApplied {
        var seen = Seen()
        var result = InboxApplied()
        if !durable { try setSynchronous(.normal) }
        defer { if !durable { try? setSynchronous(synchronous) } }
        try transaction {
            var applied = AppliedBodies(autoRead: false)
            var last: Int64 = 0
            while result.bodies < limit,
                  let (seq, at, autoRead, body) = try db.first(
                      "SELECT seq, received_at_ms, auto_read, body FROM webhook_inbox WHERE seq > ?1 ORDER BY seq LIMIT 1",
                      [.integer(last)], { ($0.int64(0), $0.int64(1), $0.int64(2) != 0, $0.blob(3) ?? []) }) {
                last = seq
                result.bodies += 1
                result.bytes += body.count
                if result.oldestReceivedAt == nil { result.oldestReceivedAt = Instant(milliseconds: at) }
                let parsed: CapturedBody
                do throws(WebhookError) {
                    parsed = try WebhookParser.parse(Data(body))
                } catch {
                    result.rejected += 1
                    try reject(body, receivedAt: at, problem: error.description)
                    if yield() { break }
                    continue
                }
                applied.autoRead = autoRead
                // A body whose rows the schema refuses must not wedge every body behind it: its
                // savepoint is undone and it is set aside. Disk and lock failures end the pass.
                let before = (seen, applied)
                do {
                    result.counts.add(try db.savepoint {
                        try storeBody(parsed, receivedAt: Instant(milliseconds: at), seen: &seen, applied: &applied)
                    })
                } catch let error as SQLiteError where error.isConstraint {
                    (seen, applied) = before
                    result.rejected += 1
                    try reject(body, receivedAt: at, problem: "the ledger refused its rows: \(error)")
                }
                if yield() { break }
            }
            try applied.finish(self)
            try db.run("DELETE FROM webhook_inbox WHERE seq <= ?1", [.integer(last)])
        }
        remember(seen)
        return result
    }

    /// Applies the whole inbox, a transaction per `chunk` bodies. Commands call it on open, so
    /// they see every acknowledged event even when `serve` is down or behind. Small chunks keep
    /// a running `serve` from waiting long for the write lock.
    @discardableResult
    public func applyWholeInbox(chunk: Int = 50) throws(LedgerError) -> InboxApplied {
        var total = InboxApplied()
        while true {
            let pass = try applyInbox(limit: chunk)
            guard pass.bodies > 0 else { return total }
            total.bodies += pass.bodies
            total.bytes += pass.bytes
            total.rejected += pass.rejected
            total.counts.add(pass.counts)
            total.oldestReceivedAt = total.oldestReceivedAt ?? pass.oldestReceivedAt
        }
    }

    private func reject(_ body: [UInt8], receivedAt: Int64, problem: String) throws {
        // Its own seq: inbox numbers start over once the inbox is empty.
        try db.run("INSERT INTO inbox_rejected(received_at_ms, problem, body) VALUES (?1, ?2, ?3)",
                   [.integer(receivedAt), .text(problem), .blob(body)])
    }

    /// Bodies the full parse or the schema refused after the receiver had acknowledged them, oldest first.
    public func inboxRejected() throws(LedgerError) -> [InboxRejection] {
        var rejected: [InboxRejection] = []
        do {
            try db.query("SELECT received_at_ms, problem, length(body) FROM inbox_rejected ORDER BY seq") {
                rejected.append(InboxRejection(receivedAt: Instant(milliseconds: $0.int64(0)), problem: $0.text(1), bytes: Int($0.int64(2))))
            }
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
        return rejected
    }

    private func setSynchronous(_ level: Synchronous) throws(LedgerError) {
        do { try db.execute("PRAGMA synchronous=\(level.rawValue)") } catch { throw LedgerError.wrap(error, path: path) }
    }
}
