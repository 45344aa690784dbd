import Foundation
@testable import InboxLog
import Intake
@testable import Ledger
import LedgerTestSupport
import ServerTestSupport
import SQLiteDB
import Store
import TalkVaultDomain
import Testing
import TestSupport

/// `/metrics` counts acknowledged bodies kept aside and inbox damage, so an alert can fire.
@Suite struct InboxProblemMetricsTests {
    @Test func theGaugesCountRejectedBodiesAndDamage() async throws {
        let server = try await ServerHarness.start()
        let before = try await server.request(.GET, "/metrics").1
        #expect(before.contains("talkvault_inbox_rejected_bodies 0"))
        #expect(before.contains("talkvault_inbox_damage_findings 0"))
        await server.stop()
        // What an apply records when it meets damage and a body it cannot apply.
        let ledger = try Ledger.opened(path: server.ledgerPath, policy: .lineDefaults, create: false, applyingInbox: false)
        try ledger.db.run("INSERT INTO inbox_rejected(received_at_ms, problem, body) VALUES (1, 'events[0] is not an object', x'7b7d')")
        try ledger.db.run("INSERT INTO inbox_damage(segment, at_byte, kind, bytes, after_ms) VALUES (3, 4096, 'unreadable', 8192, 1)")
        let again = try await ServerHarness.start(ledgerPath: server.ledgerPath)
        let after = try await again.request(.GET, "/metrics").1
        #expect(after.contains("talkvault_inbox_rejected_bodies 1"))
        #expect(after.contains("talkvault_inbox_damage_findings 1"))
        await again.stop()
        withExtendedLifetime(server) {}  // its directory holds the ledger
    }
}
