import Foundation
import TalkVaultDomain

/// The operator's view of the ledger.
public protocol StatusStore {
    /// Messages by kind and state, the next deadlines, what is at risk and what was lost.
    /// It depends only on the ledger's contents and `now`.
    func status(now: Instant, timeZone: TimeZone, deadlineLimit: Int, riskLimit: Int) throws(LedgerError) -> StatusReport
    /// Row counts per table, for tests and diagnostics.
    func tableCounts() throws(LedgerError) -> [String: Int]
    /// Runs a trivial query: throws when the ledger cannot be read.
    func ping() throws(LedgerError)
}

extension StatusStore {
    /// The status with the ten next deadlines and twenty items at risk.
    public func status(now: Instant, timeZone: TimeZone) throws(LedgerError) -> StatusReport {
        try status(now: now, timeZone: timeZone, deadlineLimit: 10, riskLimit: 20)
    }
}
