import Foundation
import InboxLog
import SQLiteDB
import Store
import TalkVaultDomain

/// What the ledger keeps of the webhook inbox: how far the apply has read the log, the bodies
/// it set aside and the damage it met. Reading the log and parsing bodies is Intake's
/// (`InboxApplier`); the ledger only records.
extension LedgerInbox {
    /// How far the apply has read the inbox log.
    public func inboxPosition() throws(LedgerError) -> InboxPosition {
        do { return try db.inboxPosition() } catch { throw LedgerError.wrap(error, path: path) }
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

    /// Runs one apply transaction: `body` stores bodies and moves the position through the
    /// batch, and all of it is committed, or none. Without `durable` the commit is not
    /// fsynced: a power loss can undo the apply and its position together, so nothing is lost.
    public func applyTransaction<T>(durable: Bool, _ body: (any InboxBatch) throws -> T) throws(LedgerError) -> T {
        if !durable { try setSynchronous(.normal) }
        defer { if !durable { try? setSynchronous(synchronous) } }
        let batch = LedgerInboxBatch(capture: ledger.captureStore)
        let result = try transaction {
            let result = try body(batch)
            try batch.applied.finish(ledger)
            return result
        }
        batch.capture.remember(batch.seen)
        return result
    }

    /// Bodies the full parse or the schema refused after the receiver had acknowledged them,
    /// oldest first (at most `limit`), and how many there are in all.
    public func inboxRejected(limit: Int) throws(LedgerError) -> (total: Int, oldest: [InboxRejection]) {
        var rejected: [InboxRejection] = []
        do {
            try db.query("SELECT received_at_ms, problem, length(body) FROM inbox_rejected ORDER BY seq LIMIT ?1", [.int(limit)]) {
                rejected.append(InboxRejection(receivedAt: Instant(milliseconds: $0.int64(0)), problem: $0.text(1), bytes: $0.int(2)))
            }
            return (Int(try db.scalar("SELECT count(*) FROM inbox_rejected")), rejected)
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    /// Damage to the log an apply recorded, in log order.
    public func recordedInboxDamage() throws(LedgerError) -> [InboxDamage] {
        var damage: [InboxDamage] = []
        do {
            try db.query("SELECT segment, at_byte, kind, bytes, after_ms FROM inbox_damage ORDER BY segment, at_byte") { row in
                damage.append(InboxDamage(kind: InboxDamage.Kind(rawValue: row.text(2)) ?? .unreadable,
                                          segment: UInt64(bitPattern: row.int64(0)), offset: row.int(1), bytes: row.optionalInt64(3).map(Int.init),
                                          after: row.optionalInt64(4).map(Instant.init(milliseconds:))))
            }
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
        return damage
    }

    /// How many bodies are kept aside and how much damage is recorded: cheap, for the metrics.
    public func inboxProblemCounts() throws(LedgerError) -> (rejected: Int, damage: Int) {
        do {
            return (Int(try db.scalar("SELECT count(*) FROM inbox_rejected")), Int(try db.scalar("SELECT count(*) FROM inbox_damage")))
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    /// The bodies an older version left in its inbox table, and their bytes.
    public func legacyInboxSize() throws(LedgerError) -> (bodies: Int, bytes: Int) {
        do {
            return try db.first("SELECT count(*), coalesce(sum(length(body)), 0) FROM webhook_inbox") {
                (Int($0.int64(0)), Int($0.int64(1)))
            } ?? (0, 0)
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    func setSynchronous(_ level: Synchronous) throws(LedgerError) {
        do { try db.execute("PRAGMA synchronous=\(level.rawValue)") } catch { throw LedgerError.wrap(error, path: path) }
    }
}

extension Database {
    func inboxPosition() throws -> InboxPosition {
        guard let stored = try first("SELECT value FROM meta WHERE key = 'inbox_position'", [], { $0.text(0) }) else { return .start }
        guard let position = InboxPosition(stored) else { throw LedgerError.unexpectedSchema("meta 'inbox_position' is not segment:offset") }
        return position
    }
}

/// The writes of one apply transaction (`LedgerInbox.applyTransaction`); used only inside it.
final class LedgerInboxBatch: InboxBatch {
    let capture: LedgerCapture
    var ledger: Ledger { capture.ledger }
    var seen = LedgerCapture.Seen()
    var applied = LedgerCapture.AppliedBodies(autoRead: false)

    init(capture: LedgerCapture) { self.capture = capture }

    /// The next body an older version left in its inbox table, after `seq`.
    func legacyBody(after seq: Int64) throws -> LegacyInboxBody? {
        try ledger.db.first("SELECT seq, received_at_ms, auto_read, body FROM webhook_inbox WHERE seq > ?1 ORDER BY seq LIMIT 1",
                            [.integer(seq)]) {
            LegacyInboxBody(seq: $0.int64(0), receivedAt: Instant(milliseconds: $0.int64(1)), autoRead: $0.int64(2) != 0, body: $0.blob(3) ?? [])
        }
    }

    /// Deletes the legacy table's bodies up to `seq`, applied in this transaction.
    func deleteLegacyBodies(through seq: Int64) throws {
        try ledger.db.run("DELETE FROM webhook_inbox WHERE seq <= ?1", [.integer(seq)])
    }

    /// Stores one parsed body's events, as `Ledger.capture` does. A body whose rows the schema
    /// refuses must not wedge every body behind it: its savepoint is undone and it is reported.
    func store(_ body: CapturedBody, receivedAt: Instant, autoRead: Bool) throws -> InboxStored {
        applied.autoRead = autoRead
        var (seen, applied) = (self.seen, self.applied)
        do {
            let counts = try ledger.db.savepoint {
                try capture.storeBody(body, receivedAt: receivedAt, seen: &seen, applied: &applied)
            }
            (self.seen, self.applied) = (seen, applied)
            return .stored(counts)
        } catch let error as SQLiteError where error.isConstraint {
            return .refused("the ledger refused its rows: \(error)")
        }
    }

    /// Keeps a body that cannot be applied in `inbox_rejected`, with why.
    func setAside(_ body: [UInt8], receivedAt: Instant, problem: String) throws {
        // Its own seq: inbox numbers start over once the inbox is empty.
        try ledger.db.run("INSERT INTO inbox_rejected(received_at_ms, problem, body) VALUES (?1, ?2, ?3)",
                          [.integer(receivedAt.milliseconds), .text(problem), .blob(body)])
    }

    /// Records damage found in the log (the segment it is in will be recycled); false when
    /// it was recorded before.
    func record(_ damage: InboxDamage) throws -> Bool {
        try ledger.db.run("""
            INSERT INTO inbox_damage(segment, at_byte, kind, bytes, after_ms) VALUES (?1, ?2, ?3, ?4, ?5)
            ON CONFLICT DO NOTHING
            """, [.integer(Int64(bitPattern: damage.segment)), .int(damage.offset), .text(damage.kind.rawValue),
                  damage.bytes.map { .int($0) } ?? .null, damage.after.map { .integer($0.milliseconds) } ?? .null]) > 0
    }

    /// The log position this transaction applied through.
    func position() throws -> InboxPosition { try ledger.db.inboxPosition() }

    /// Records that the log is applied through `position`.
    func setPosition(_ position: InboxPosition) throws {
        try ledger.setMeta("inbox_position", position.description)
    }
}
