import Foundation
import InboxLog
import SQLiteDB
import TalkVaultDomain

/// What `status`, `verify` and the metrics say of the inbox: acknowledged bodies waiting to be
/// applied, bodies that could not be applied, and damage to the log. A read: it takes no lock.
public struct InboxHealth: Sendable, Equatable {
    /// Acknowledged bodies not yet applied, and their bytes.
    public var pendingBodies = 0
    public var pendingBytes = 0
    /// Acknowledged bodies the full parse or the schema refused, kept in `inbox_rejected`.
    public var rejectedBodies = 0
    /// The oldest of them (at most 20).
    public var rejected: [InboxRejection] = []
    /// Damage found by an apply (kept in `inbox_damage`) and in the part not yet applied.
    public var damage: [InboxDamage] = []

    public init() {}

    /// True when no acknowledged body is lost or set aside.
    public var isHealthy: Bool { rejectedBodies == 0 && damage.isEmpty }

    /// The summary `status` shows.
    public var summary: StatusReport.InboxSummary {
        StatusReport.InboxSummary(
            pendingBodies: pendingBodies, pendingBytes: pendingBytes, rejectedBodies: rejectedBodies,
            damage: damage.map { .init(kind: $0.kind.rawValue, file: $0.file, atByte: $0.offset, bytes: $0.bytes) },
            problems: problems)
    }

    /// One line per problem, for `verify` and `status`; never a body's text.
    public var problems: [String] {
        var lines = damage.map(\.description)
        if rejectedBodies > 0 {
            lines.append("inbox: \(rejectedBodies) acknowledged webhook bod\(rejectedBodies == 1 ? "y" : "ies") could not be applied "
                         + "and \(rejectedBodies == 1 ? "is" : "are") kept in the ledger's inbox_rejected table")
            for body in rejected {
                lines.append("inbox: body received at \(body.receivedAt) (\(body.bytes) bytes) kept aside: \(body.problem)")
            }
        }
        return lines
    }
}

extension Ledger {
    /// The inbox's health: the recorded damage and rejected bodies, and a read of the log from
    /// the applied position, which finds damage an apply has not yet met.
    public func inboxHealth() throws(LedgerError) -> InboxHealth {
        var health = InboxHealth()
        do {
            let start = try inboxPosition()
            var live: [InboxDamage] = []
            let reader = try InboxLogReader(directory: inbox, from: start)
            while let record = try reader.next() {
                health.pendingBodies += 1
                health.pendingBytes += record.body.count
            }
            live = reader.takeFindings()
            (health.pendingBodies, health.pendingBytes) = try addLegacyInbox(health.pendingBodies, health.pendingBytes)
            // A running serve may have applied past some of it meanwhile, and recycled the
            // segments it passed: what it passed, it has judged (and recorded) itself.
            let now = try inboxPosition()
            live.removeAll { $0.segment < now.segment }
            var seen = Set<String>()
            try db.query("SELECT segment, at_byte, kind, bytes, after_ms FROM inbox_damage ORDER BY segment, at_byte") { row in
                let damage = InboxDamage(kind: InboxDamage.Kind(rawValue: row.text(2)) ?? .unreadable,
                                         segment: UInt64(bitPattern: row.int64(0)), offset: row.int(1), bytes: row.optionalInt64(3).map(Int.init),
                                         after: row.optionalInt64(4).map(Instant.init(milliseconds:)))
                seen.insert("\(damage.segment):\(damage.offset):\(damage.kind.rawValue)")
                health.damage.append(damage)
            }
            health.damage += live.filter { seen.insert("\($0.segment):\($0.offset):\($0.kind.rawValue)").inserted }
            health.rejectedBodies = Int(try db.scalar("SELECT count(*) FROM inbox_rejected"))
            try db.query("SELECT received_at_ms, problem, length(body) FROM inbox_rejected ORDER BY seq LIMIT 20") {
                health.rejected.append(InboxRejection(receivedAt: Instant(milliseconds: $0.int64(0)), problem: $0.text(1), bytes: $0.int(2)))
            }
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
        return health
    }

    /// How many bodies are kept aside and how much damage is recorded: cheap, for the metrics.
    public func inboxProblemCounts() throws(LedgerError) -> (rejected: Int, damage: Int) {
        do {
            return (Int(try db.scalar("SELECT count(*) FROM inbox_rejected")), Int(try db.scalar("SELECT count(*) FROM inbox_damage")))
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    /// Adds the bodies an older version left in its inbox table.
    private func addLegacyInbox(_ bodies: Int, _ bytes: Int) throws -> (Int, Int) {
        let (legacyBodies, legacyBytes) = try db.first("SELECT count(*), coalesce(sum(length(body)), 0) FROM webhook_inbox") {
            (Int($0.int64(0)), Int($0.int64(1)))
        } ?? (0, 0)
        return (bodies + legacyBodies, bytes + legacyBytes)
    }
}
