import AsyncHTTPClient
import Foundation
import LINE
import Logging
import NIOCore
import Server
import Store
import ServiceLifecycle
@testable import LINESimulator
@testable import LINEClient
@testable import Ledger
@testable import Sweep
import TalkVaultDomain
import Testing
import ReadReceipts
import LedgerTestSupport
import SweepTestSupport
import TestSupport

@Suite struct ReadStateTests {
    @Test func markReadRecordsWhoAndWhenAndTheFirstReadStands() throws {
        let h = try LedgerHarness()
        try h.capture(Webhook.body([Webhook.text("r1", "a", eventId: "e1", at: 1_000), Webhook.text("r2", "b", eventId: "e2", at: 2_000)]))
        let first = try h.ledger.readState.markRead(ids: ["r1", "nope"], by: "sato", at: Instant(milliseconds: 5_000))
        #expect(first.marked == ["r1"])
        #expect(first.unknown == ["nope"])
        #expect(first.receiptsQueued == 1)
        let again = try h.ledger.readState.markRead(ids: ["r1", "r2"], by: "suzuki", at: Instant(milliseconds: 9_000))
        #expect(again.alreadyRead == ["r1"])
        #expect(again.marked == ["r2"])
        let rows = try h.ledger.rows("SELECT id, read_at_ms, read_by FROM messages ORDER BY id").map { $0.map { "\($0.value)" } }
        #expect(rows == [["\(SQLValueText("r1"))", "integer(5000)", "\(SQLValueText("sato"))"],
                         ["\(SQLValueText("r2"))", "integer(9000)", "\(SQLValueText("suzuki"))"]])
        #expect(try h.ledger.readState.messageIds(chat: "Uuser1", until: Instant(milliseconds: 1_500), channel: nil).map(\.id) == ["r1"])
    }

    /// One user of two accounts of a provider has one user id: marking the chat of one account
    /// must not mark the other's, so a chat in several channels needs its channel.
    @Test func aChatInSeveralChannelsIsMarkedOnlyWithItsChannel() throws {
        let h = try LedgerHarness()
        _ = try h.capturer.capture([Webhook.body([Webhook.text("a1", "to A", eventId: "ea1", at: 1_000)])], channel: "shop-a")
        _ = try h.capturer.capture([Webhook.body([Webhook.text("b1", "to B", eventId: "eb1", at: 1_100)])], channel: "shop-b")
        let until = Instant(milliseconds: 5_000)
        let ambiguous = try MarkRead.mark(.chat("Uuser1", until: until), by: "sato", at: until, in: h.ledger.readState)
        #expect(ambiguous.ambiguousChannels == ["shop-a", "shop-b"] && ambiguous.marked.isEmpty && ambiguous.receiptsQueued == 0)
        let marked = try MarkRead.mark(.chat("Uuser1", until: until, channel: "shop-a"), by: "sato", at: until, in: h.ledger.readState)
        #expect(marked.marked == ["a1"] && marked.ambiguousChannels.isEmpty)
        let read = try h.ledger.rows("SELECT id FROM messages WHERE read_by IS NOT NULL").map { "\($0[0].value)" }
        #expect(read == ["\(SQLValueText("a1"))"], "shop-b's message stays unread")
    }

    @Test func aFailedMarkAsReadStaysQueuedUntilLINEAcceptsIt() async throws {
        let h = try LedgerHarness()
        try h.capture(Webhook.body([Webhook.text("r1", "a", eventId: "e1", at: 1_000)]))
        _ = try h.ledger.readState.markRead(ids: ["r1"], by: "sato", at: Instant(milliseconds: 5_000))
        let simulator = try await SimulatorServer.start(config: SimulatorConfig(seed: 1))
        await simulator.state.register([SimulatedMessage(id: "r1", kind: .text, chatType: .user, chatId: "Uuser1", userId: "Uuser1",
                                                         timestamp: 1_000, size: 0, markAsReadToken: "tok-r1")])
        let refused = try await ReadReceipts.sendPending(ledgerPath: h.ledger.path, policy: .lineDefaults,
                                                         client: MarkAsReadClient(apiBaseURL: simulator.baseURL, accessToken: "wrong"),
                                                         clock: FixedClock(LedgerHarness.now))
        #expect(refused.failed == 1)
        #expect(try h.ledger.readState.pendingReceipts().count == 1)
        let sent = try await ReadReceipts.sendPending(ledgerPath: h.ledger.path, policy: .lineDefaults,
                                                      client: MarkAsReadClient(apiBaseURL: simulator.baseURL,
                                                                               accessToken: SimulatorConfig.defaultAccessToken),
                                                      clock: FixedClock(LedgerHarness.now))
        #expect(sent.sent == 1)
        #expect(try h.ledger.readState.pendingReceipts().isEmpty)
        #expect(await simulator.state.stats().markAsRead.map(\.token) == ["tok-r1"])
        await simulator.stop()
    }
}

extension ReadStateTests {
    @Test func aTokenLINERefusesIsKeptWithItsReasonAndNotSentAgain() async throws {
        let h = try LedgerHarness()
        try h.capture(Webhook.body([Webhook.text("r1", "a", eventId: "e1", at: 1_000), Webhook.text("r2", "b", eventId: "e2", at: 2_000)]))
        _ = try h.ledger.readState.markRead(ids: ["r1", "r2"], by: "sato", at: Instant(milliseconds: 5_000))
        // LINE issued r1's token; r2's it never saw (another bot's, or damaged).
        let simulator = try await SimulatorServer.start(config: SimulatorConfig(seed: 1))
        await simulator.state.register([SimulatedMessage(id: "r1", kind: .text, chatType: .user, chatId: "Uuser1", userId: "Uuser1",
                                                         timestamp: 1_000, size: 0, markAsReadToken: "tok-r1")])
        let client = MarkAsReadClient(apiBaseURL: simulator.baseURL, accessToken: SimulatorConfig.defaultAccessToken)
        let first = try await ReadReceipts.sendPending(ledgerPath: h.ledger.path, policy: .lineDefaults, client: client,
                                                       clock: FixedClock(LedgerHarness.now))
        #expect(first == { var o = ReadReceipts.Outcome(); o.sent = 1; o.refused = 1; return o }())
        #expect(try h.ledger.readState.pendingReceipts().isEmpty)
        let receipt = try #require(try h.ledger.searchStore.detail(id: "r2")?.readReceipt)
        #expect(receipt.sentAt == nil && receipt.lastError == nil)
        #expect(receipt.refused == "HTTP 400: An invalid markAsReadToken is specified")
        #expect(!(receipt.refused ?? "").contains("tok-r2"))
        // The next pass, a sweep's or another mark-read's, does not ask again.
        let second = try await ReadReceipts.sendPending(ledgerPath: h.ledger.path, policy: .lineDefaults, client: client,
                                                        clock: FixedClock(LedgerHarness.now))
        #expect(second == ReadReceipts.Outcome())
        #expect(await simulator.state.stats().count("POST /v2/bot/chat/markAsRead", 400) == 1)
        await simulator.stop()
    }

    @Test func onlyAnswersAboutTheCallItselfAreRefusals() {
        #expect(MarkAsReadClient.isRefusal(400))
        // A mistyped api_base_url or a proxy answers 404 or 405 for every call: not LINE refusing the token.
        for code in [401, 403, 404, 405, 408, 413, 422, 429, 500, 503] { #expect(!MarkAsReadClient.isRefusal(code), "\(code)") }
    }
}

private func SQLValueText(_ text: String) -> String { "text(\"\(text)\")" }

@Suite struct AutoReadTests {
    @Test func autoModeMarksMessagesReadOnArrival() throws {
        let h = try LedgerHarness()
        h.capturer.autoRead.value = true
        try h.capture(Webhook.body([Webhook.text("a1", "x", eventId: "e1", at: 1_000)]))
        h.capturer.autoRead.value = false
        try h.capture(Webhook.body([Webhook.text("a2", "y", eventId: "e2", at: 2_000)]))
        let rows = try h.ledger.rows("SELECT id, read_by FROM messages ORDER BY id").map { $0.map { "\($0.value)" } }
        #expect(rows == [["text(\"a1\")", "text(\"line:auto\")"], ["text(\"a2\")", "null"]])
        #expect(try h.ledger.readState.pendingReceipts().isEmpty)   // LINE marks auto reads itself
    }

    @Test func aSweepAsksLINEAndCatchesUpWhenItSaysAuto() async throws {
        let simulator = try await SimulatorServer.start(config: SimulatorConfig(seed: 1, markAsReadMode: "auto"))
        let h = try await SweepHarness.start(messages: 10)
        var sweeper = h.sweeper()
        sweeper.settings.readMode = .line
        sweeper.settings.botInfo = BotInfoClient(apiBaseURL: simulator.baseURL, accessToken: SimulatorConfig.defaultAccessToken)
        _ = try await sweeper.run(SweepOptions(dryRun: true))
        let untouched = try Ledger.opened(path: h.ledgerPath, policy: .lineDefaults, create: false)
        #expect(try untouched.rows("SELECT id FROM messages WHERE read_at_ms IS NOT NULL").isEmpty)   // a dry run changes nothing
        _ = try await sweeper.run(SweepOptions(pack: false))
        let ledger = try Ledger.opened(path: h.ledgerPath, policy: .lineDefaults, create: false)
        #expect(try ledger.rows("SELECT id FROM messages WHERE read_at_ms IS NULL").isEmpty)
        #expect(try ledger.rows("SELECT id FROM messages WHERE read_by = 'line:auto'").count == 10)
        await simulator.stop()
        await h.simulator.stop()
    }
}
