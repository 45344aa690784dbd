import Foundation
import Intake
@testable import Ledger
import LINE
import Store
import TalkVaultDomain
import Testing
import TestSupport

/// A ledger in a temp dir, fed through the same `Capturer` that `ingest` and `serve` use.
public struct LedgerHarness {
    public let dir = TempDir()
    public let ledger: Ledger
    public let capturer: Capturer
    public static let now = Instant(rfc3339: "2026-11-22T00:00:00Z")!

    public init(policy: RetentionPolicy = .lineDefaults, name: String = "ledger.sqlite3") throws {
        ledger = try Ledger.opened(path: dir.file(name), policy: policy)
        capturer = Capturer(ledger: ledger, clock: FixedClock(Self.now))
    }

    @discardableResult
    public func capture(_ bodies: Data...) throws -> CaptureCounts {
        var total = CaptureCounts()
        for result in try capturer.capture(bodies) {
            guard case .stored(let counts) = result else { Issue.record("rejected: \(result)"); continue }
            total.add(counts)
        }
        return total
    }

    public func status() throws -> StatusReport {
        try ledger.statusStore.status(now: Self.now, timeZone: TimeZone(identifier: "Asia/Tokyo")!)
    }
}
