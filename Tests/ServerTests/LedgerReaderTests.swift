import Foundation
import Ledger
import Store
import Server
import TalkVaultDomain
import Testing
import LedgerTestSupport
import TestSupport

/// `/metrics` reuses the reader's status for a while, so a fast scraper does not count whole
/// tables on every poll; the clock here is the injected one, never the wall clock.
@Suite struct LedgerReaderTests {
    @Test func theStatusIsReusedUntilItIsOlderThanMaxAge() async throws {
        let harness = try LedgerHarness()
        let reader = try LedgerReader(path: harness.dir.file("ledger.sqlite3"), policy: .lineDefaults,
                                      timeZone: TimeZone(identifier: "UTC")!)
        let t0 = LedgerHarness.now
        func at(_ seconds: Int64) -> Instant { Instant(milliseconds: t0.milliseconds + seconds * 1000) }

        #expect(try await reader.status(now: t0, maxAge: 10).0.ledger.messages == 0)
        try harness.capture(Webhook.body([Webhook.text("m1", "hi", eventId: "e1", at: t0.milliseconds)]))

        #expect(try await reader.status(now: at(9), maxAge: 10).0.ledger.messages == 0, "within maxAge: the cached count")
        #expect(try await reader.status(now: at(10), maxAge: 10).0.ledger.messages == 1, "at maxAge: counted again")
        try harness.capture(Webhook.body([Webhook.text("m2", "hi", eventId: "e2", at: t0.milliseconds)]))
        #expect(try await reader.status(now: at(5), maxAge: 10).0.ledger.messages == 2,
                "a clock that went back does not pin a stale report")
        #expect(try await reader.status(now: at(5), maxAge: 0).0.ledger.messages == 2)
    }
}
