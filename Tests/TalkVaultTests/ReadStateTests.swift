import Foundation
@testable import LINESimulator
import LINEClient
@testable import Ledger
import Sweep
import TalkVaultDomain
import Testing

@Suite struct ReadStateTests {
    @Test func markReadRecordsWhoAndWhenAndTheFirstReadStands() throws {
        let h = try LedgerHarness()
        try h.capture(Webhook.body([Webhook.text("r1", "a", eventId: "e1", at: 1_000), Webhook.text("r2", "b", eventId: "e2", at: 2_000)]))
        let first = try h.ledger.markRead(ids: ["r1", "nope"], by: "sato", at: Instant(milliseconds: 5_000))
        #expect(first.marked == ["r1"])
        #expect(first.unknown == ["nope"])
        #expect(first.receiptsQueued == 1)
        let again = try h.ledger.markRead(ids: ["r1", "r2"], by: "suzuki", at: Instant(milliseconds: 9_000))
        #expect(again.alreadyRead == ["r1"])
        #expect(again.marked == ["r2"])
        let rows = try h.ledger.rows("SELECT id, read_at_ms, read_by FROM messages ORDER BY id").map { $0.map { "\($0.value)" } }
        #expect(rows == [["\(SQLValueText("r1"))", "integer(5000)", "\(SQLValueText("sato"))"],
                         ["\(SQLValueText("r2"))", "integer(9000)", "\(SQLValueText("suzuki"))"]])
        #expect(try h.ledger.messageIds(chat: "Uuser1", until: Instant(milliseconds: 1_500)) == ["r1"])
    }

    @Test func aFailedMarkAsReadStaysQueuedUntilLINEAcceptsIt() async throws {
        let h = try LedgerHarness()
        try h.capture(Webhook.body([Webhook.text("r1", "a", eventId: "e1", at: 1_000)]))
        _ = try h.ledger.markRead(ids: ["r1"], by: "sato", at: Instant(milliseconds: 5_000))
        let simulator = try await SimulatorServer.start(config: SimulatorConfig(seed: 1))
        let refused = try await ReadReceipts.sendPending(ledgerPath: h.ledger.path, policy: .lineDefaults,
                                                         client: MarkAsReadClient(apiBaseURL: simulator.baseURL, accessToken: "wrong"),
                                                         clock: FixedClock(LedgerHarness.now))
        #expect(refused.failed == 1)
        #expect(try h.ledger.pendingReceipts().count == 1)
        let sent = try await ReadReceipts.sendPending(ledgerPath: h.ledger.path, policy: .lineDefaults,
                                                      client: MarkAsReadClient(apiBaseURL: simulator.baseURL,
                                                                               accessToken: SimulatorConfig.defaultAccessToken),
                                                      clock: FixedClock(LedgerHarness.now))
        #expect(sent.sent == 1)
        #expect(try h.ledger.pendingReceipts().isEmpty)
        #expect(await simulator.state.stats().markAsRead.map(\.token) == ["tok-r1"])
        await simulator.stop()
    }
}

private func SQLValueText(_ text: String) -> String { "text(\"\(text)\")" }
