import Foundation
import Ledger
import Store
import ReadReceipts
import TalkVaultDomain

/// A second connection, for `/healthz`, `/metrics` and the mark-read endpoint, so they never
/// wait behind the webhook writer thread (WAL lets readers run beside one writer; the rare
/// read-state write waits on the busy timeout).
public actor LedgerReader {
    private let ledger: Ledger
    private let timeZone: TimeZone
    private var cachedStatus: (at: Instant, report: StatusReport, inbox: InboxProblems)?

    /// Acknowledged bodies set aside unapplied, and inbox damage found, as the ledger records them.
    public struct InboxProblems: Sendable {
        public var rejected: Int
        public var damage: Int
    }

    public init(path: String, policy: RetentionPolicy, timeZone: TimeZone) throws(LedgerError) {
        // Read-write without create: the mark-read endpoint records read state here.
        ledger = try Ledger(path: path, policy: policy, access: .readWrite(create: false))
        self.timeZone = timeZone
    }

    /// True when the ledger answers a query.
    public func isReachable() -> Bool { (try? ledger.statusStore.ping()) != nil }

    /// The status at `now`, for the gauges.
    public func status(now: Instant) throws(LedgerError) -> StatusReport {
        try ledger.statusStore.status(now: now, timeZone: timeZone, deadlineLimit: 0, riskLimit: 0)
    }

    /// The status for the gauges, computed again only once `maxAge` seconds have passed: it
    /// counts whole tables, and a scraper polling often must not take the writer's CPU.
    public func status(now: Instant, maxAge: Double) throws(LedgerError) -> (StatusReport, InboxProblems) {
        if let cached = cachedStatus, Double(now.milliseconds - cached.at.milliseconds) / 1000 < maxAge,
           now.milliseconds >= cached.at.milliseconds {
            return (cached.report, cached.inbox)
        }
        let report = try status(now: now)
        let counts = try ledger.inboxStore.inboxProblemCounts()
        let inbox = InboxProblems(rejected: counts.rejected, damage: counts.damage)
        cachedStatus = (now, report, inbox)
        return (report, inbox)
    }

    /// Each channel's bot user id, as its verified bodies carried it; empty when unreadable.
    public func channelDestinations() -> [String: String] {
        (try? ledger.captureStore.channelDestinations()) ?? [:]
    }

    /// Marks messages read, as `talkvault mark-read` does (see `MarkRead`).
    public func markRead(_ target: MarkReadTarget, by who: String, at now: Instant) throws(LedgerError) -> MarkReadResult {
        try MarkRead.mark(target, by: who, at: now, in: ledger.readState)
    }

    /// Bytes on disk: the database and its WAL.
    public func sizeOnDisk() -> Int64 {
        [ledger.path, ledger.path + "-wal"].reduce(Int64(0)) { total, path in
            total + ((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64) ?? 0)
        }
    }
}
