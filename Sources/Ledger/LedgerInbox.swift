import Foundation
import InboxLog
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
    /// The inbox log's applied position after the pass.
    public var position = InboxPosition.start
    /// Damage to the log this pass found for the first time (recorded in `inbox_damage`).
    public var damage: [InboxDamage] = []

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
    /// The webhook inbox log beside this ledger, which `serve` appends to (`InboxLogWriter`).
    public var inbox: SegmentDirectory { SegmentDirectory(ledgerPath: path) }

    /// How far the apply has read the inbox log.
    public func inboxPosition() throws(LedgerError) -> InboxPosition {
        let stored: String?
        do {
            stored = try db.first("SELECT value FROM meta WHERE key = 'inbox_position'") { $0.text(0) }
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
        guard let stored else { return .start }
        guard let position = InboxPosition(stored) else { throw .unexpectedSchema("meta 'inbox_position' is not segment:offset") }
        return position
    }

    /// Makes the applied inbox position survive a power loss: apply transactions skip their
    /// fsync, so before the log reuses a segment the position passed, one commit makes it durable.
    public func makeInboxPositionDurable() throws(LedgerError) {
        let restore = synchronous
        if restore != .full { try setSynchronous(.full) }
        defer { if restore != .full { try? setSynchronous(restore) } }
        try transaction {
            // A real change, so that the commit writes (and fsyncs) a WAL frame.
            try setMeta("inbox_synced", String(DispatchTime.now().uptimeNanoseconds))
        }
    }

    /// Bodies waiting to be applied (in the log, and in the table older versions used), and their bytes.
    /// Reads the log through, one body at a time.
    public func inboxSize() throws(LedgerError) -> (bodies: Int, bytes: Int) {
        do {
            var (bodies, bytes) = try db.first("SELECT count(*), coalesce(sum(length(body)), 0) FROM webhook_inbox") {
                (Int($0.int64(0)), Int($0.int64(1)))
            } ?? (0, 0)
            let reader = try InboxLogReader(directory: inbox, from: try inboxPosition())
            while let record = try reader.next() {
                bodies += 1
                bytes += record.body.count
            }
            return (bodies, bytes)
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    /// Applies inbox bodies oldest first, in one transaction, through the same capture as
    /// `ingest`, and records how far it got in that transaction: each body is applied exactly
    /// once, even when a crash or another process interrupts. Bodies left in the table older
    /// versions used come first (and are deleted), then the log from the recorded position.
    /// Holds one body in memory at a time.
    /// - Parameters:
    ///   - limit: the most bodies to apply.
    ///   - durable: fsync the commit. Without it a power loss can undo the apply and its
    ///     position together, so nothing is lost: the bodies are applied again.
    ///   - yield: asked after each body; true ends the pass early (someone waits for the writer).
    public func applyInbox(limit: Int = 1_000, durable: Bool = true,
                           yield: () -> Bool = { false }) throws(LedgerError) -> InboxApplied {
        var pass = InboxPass(ledger: self)
        if !durable { try setSynchronous(.normal) }
        defer { if !durable { try? setSynchronous(synchronous) } }
        try transaction {
            var last: Int64 = 0
            var yielded = false
            while !yielded, pass.result.bodies < limit,
                  let (seq, at, autoRead, body) = try db.first(
                      "SELECT seq, received_at_ms, auto_read, body FROM webhook_inbox WHERE seq > ?1 ORDER BY seq LIMIT 1",
                      [.integer(last)], { ($0.int64(0), $0.int64(1), $0.int64(2) != 0, $0.blob(3) ?? []) }) {
                last = seq
                try pass.apply(body, receivedAt: at, autoRead: autoRead)
                yielded = yield()
            }
            if last > 0 { try db.run("DELETE FROM webhook_inbox WHERE seq <= ?1", [.integer(last)]) }
            let start = try inboxPosition()
            pass.result.position = start
            let reader = try InboxLogReader(directory: inbox, from: start)
            while !yielded, pass.result.bodies < limit, let record = try reader.next() {
                try pass.record(reader.takeFindings())
                if record.damaged {
                    try pass.setAside(record.body, receivedAt: record.receivedAt.milliseconds,
                                      problem: "damaged in the inbox log (its checksum does not match)")
                } else {
                    try pass.apply(record.body, receivedAt: record.receivedAt.milliseconds, autoRead: record.autoRead)
                }
                pass.result.position = record.end
                yielded = yield()
            }
            // Damage met after the last record (a missing newest segment, a cut-short tail).
            try pass.record(reader.takeFindings())
            if pass.result.position != start {
                try setMeta("inbox_position", pass.result.position.description)
            }
            try pass.finish()
        }
        remember(pass.seen)
        return pass.result
    }

    /// Applies the whole inbox, a transaction per `chunk` bodies. Commands call it on open, so
    /// they see every acknowledged event even when `serve` is down or behind. Small chunks keep
    /// a running `serve` from waiting long for the write lock.
    @discardableResult
    public func applyWholeInbox(chunk: Int = 50) throws(LedgerError) -> InboxApplied {
        var total = InboxApplied()
        while true {
            let pass = try applyInbox(limit: chunk)
            total.damage += pass.damage
            guard pass.bodies > 0 else { return total }
            total.bodies += pass.bodies
            total.bytes += pass.bytes
            total.rejected += pass.rejected
            total.counts.add(pass.counts)
            total.oldestReceivedAt = total.oldestReceivedAt ?? pass.oldestReceivedAt
        }
    }

    func reject(_ body: [UInt8], receivedAt: Int64, problem: String) throws {
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

    func setSynchronous(_ level: Synchronous) throws(LedgerError) {
        do { try db.execute("PRAGMA synchronous=\(level.rawValue)") } catch { throw LedgerError.wrap(error, path: path) }
    }
}

/// One apply transaction's state: what it has seen and stored so far.
struct InboxPass {
    let ledger: Ledger
    var seen = Ledger.Seen()
    var applied = Ledger.AppliedBodies(autoRead: false)
    var result = InboxApplied()

    init(ledger: Ledger) { self.ledger = ledger }

    /// Parses and stores one body inside the pass's transaction; a body the parse or the schema
    /// refuses is set aside in `inbox_rejected`. Disk and lock failures throw and end the pass.
    mutating func apply(_ body: [UInt8], receivedAt at: Int64, autoRead: Bool) throws {
        let parsed: CapturedBody
        do throws(WebhookError) {
            parsed = try WebhookParser.parse(Data(body))
        } catch {
            try setAside(body, receivedAt: at, problem: error.description)
            return
        }
        count(body, receivedAt: at)
        self.applied.autoRead = autoRead
        // A body whose rows the schema refuses must not wedge every body behind it: its
        // savepoint is undone and it is set aside.
        var (seen, applied) = (self.seen, self.applied)
        do {
            result.counts.add(try ledger.db.savepoint {
                try ledger.storeBody(parsed, receivedAt: Instant(milliseconds: at), seen: &seen, applied: &applied)
            })
            (self.seen, self.applied) = (seen, applied)
        } catch let error as SQLiteError where error.isConstraint {
            result.rejected += 1
            try ledger.reject(body, receivedAt: at, problem: "the ledger refused its rows: \(error)")
        }
    }

    /// Keeps a body that cannot be applied in `inbox_rejected`, with why, and counts it.
    mutating func setAside(_ body: [UInt8], receivedAt at: Int64, problem: String) throws {
        count(body, receivedAt: at)
        result.rejected += 1
        try ledger.reject(body, receivedAt: at, problem: problem)
    }

    private mutating func count(_ body: [UInt8], receivedAt at: Int64) {
        result.bodies += 1
        result.bytes += body.count
        if result.oldestReceivedAt == nil { result.oldestReceivedAt = Instant(milliseconds: at) }
    }

    /// Keeps damage the reader found in `inbox_damage`; the segment it is in will be recycled.
    mutating func record(_ findings: [InboxDamage]) throws {
        for damage in findings {
            let added = try ledger.db.run("""
                INSERT INTO inbox_damage(segment, at_byte, kind, bytes, after_ms) VALUES (?1, ?2, ?3, ?4, ?5)
                ON CONFLICT DO NOTHING
                """, [.integer(Int64(bitPattern: damage.segment)), .int(damage.offset), .text(damage.kind.rawValue),
                      damage.bytes.map { .int($0) } ?? .null, damage.after.map { .integer($0.milliseconds) } ?? .null])
            if added > 0 { result.damage.append(damage) }
        }
    }

    mutating func finish() throws {
        try applied.finish(ledger)
    }
}
