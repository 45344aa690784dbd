import InboxLog
import Ledger
import Store
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

extension InboxApplier {
    /// The inbox's health: the recorded damage and rejected bodies, and a read of the log from
    /// the applied position, which finds damage an apply has not yet met. Reads only: a
    /// read-only ledger will do.
    public func health() throws(LedgerError) -> InboxHealth {
        var health = InboxHealth()
        let start = try ledger.inboxStore.inboxPosition()
        let reader = try Self.reading { () throws(InboxLogError) in try InboxLogReader(directory: directory, from: start) }
        let pending = try Self.reading { () throws(InboxLogError) in try reader.backlog() }
        health.pendingBodies = pending.bodies
        health.pendingBytes = pending.bytes
        var live = reader.takeFindings()
        let legacy = try ledger.inboxStore.legacyInboxSize()
        health.pendingBodies += legacy.bodies
        health.pendingBytes += legacy.bytes
        // A running serve may have applied past some of it meanwhile, and recycled the
        // segments it passed: what it passed, it has judged (and recorded) itself.
        let now = try ledger.inboxStore.inboxPosition()
        live.removeAll { $0.segment < now.segment }
        var seen = Set<String>()
        for damage in try ledger.inboxStore.recordedInboxDamage() {
            seen.insert("\(damage.segment):\(damage.offset):\(damage.kind.rawValue)")
            health.damage.append(damage)
        }
        health.damage += live.filter { seen.insert("\($0.segment):\($0.offset):\($0.kind.rawValue)").inserted }
        (health.rejectedBodies, health.rejected) = try ledger.inboxStore.inboxRejected(limit: 20)
        return health
    }
}
