import Foundation
import Ledger
import Store
import TalkVaultDomain

/// The dashboard's status, counted on a connection and a thread of their own at most every ten
/// seconds: it counts whole tables (seconds on a million messages), so once the first count is
/// in no page waits for one; a stale status is served while the next is counted.
actor StatusCache {
    private let ledgerPath: String
    private let policy: RetentionPolicy
    private let timeZone: TimeZone
    private let maxAgeMilliseconds: Int64 = 10_000
    private var cached: (at: Instant, report: StatusReport)?
    private var counting: Task<StatusReport, any Error>?

    init(settings: ConsoleSettings) {
        ledgerPath = settings.ledgerPath
        policy = settings.policy
        timeZone = settings.timeZone
    }

    /// The last status counted; a count starts when it is older than ten seconds. Only a call
    /// with none counted yet waits.
    func status(now: Instant) async throws -> StatusReport {
        if let cached {
            let age = now.milliseconds - cached.at.milliseconds
            if (age < 0 || age >= maxAgeMilliseconds) && counting == nil { startCount(now) }
            return cached.report
        }
        let task = counting ?? startCount(now)
        return try await task.value
    }

    /// Counts now, so the first dashboard does not wait (the console calls it as it starts).
    func warm(now: Instant) { if cached == nil && counting == nil { startCount(now) } }

    @discardableResult
    private func startCount(_ now: Instant) -> Task<StatusReport, any Error> {
        let path = ledgerPath, policy = policy, zone = timeZone
        let task = Task.detached { () throws -> StatusReport in
            let ledger = try Ledger(path: path, policy: policy, access: .readOnly)
            return try ledger.statusStore.status(now: now, timeZone: zone, deadlineLimit: 10, riskLimit: 20)
        }
        counting = task
        Task { await self.keep(task, counted: now) }
        return task
    }

    private func keep(_ task: Task<StatusReport, any Error>, counted now: Instant) async {
        if let report = try? await task.value { cached = (now, report) }
        counting = nil
    }
}
