import Foundation
@testable import InboxLog
import LINE
@testable import Ledger
import LedgerTestSupport
import Logging
@testable import Relay
import Store
import TalkVaultDomain
import Testing
import TestSupport

/// A target's `channels:` takes only those channels' bodies; every body goes out with the
/// signature of the channel it arrived for, as LINE would have signed it for that tool.
@Suite struct RelayChannelTests {
    @Test func aTargetTakesOnlyItsChannelsEachSignedWithItsOwnSecret() async throws {
        let h = try RelayHarness()
        let all = ScriptedTransport { _ in .status(200) }
        let only = ScriptedTransport { _ in .status(200) }
        let signatures = ["shop-a": WebhookSignature(channelSecret: "secret-a"), "shop-b": WebhookSignature(channelSecret: "secret-b")]
        func relay(_ name: String, _ channels: Set<String>?, _ transport: ScriptedTransport) -> RelayService {
            RelayService(destinations: [RelayDestination(name: name, url: "http://127.0.0.1:9/\(name)", timeout: RetentionDuration(seconds: 5),
                                                         maxAge: .hours(24), channels: channels)],
                         ledgerPath: h.ledger.path, policy: .lineDefaults, directory: h.directory, hold: h.hold, signatures: signatures,
                         transport: transport, clock: h.clocks, waiting: h.clocks, logger: Logger(label: "relay-test"),
                         pollMilliseconds: 1, jitter: { 0.5 })
        }
        let toAll = relay("all", nil, all), toA = relay("only-a", ["shop-a"], only)
        try toAll.prepare()
        try toA.prepare()
        let bodies = (0..<4).map { n in Data(Webhook.body([Webhook.text("m\(n)", "本文", eventId: "e\(n)", at: 1_790_000_000_000 + Int64(n))])) }
        try h.writer.append([InboxEntry(body: bodies[0], channel: "shop-a", autoRead: false),
                             InboxEntry(body: bodies[1], channel: "shop-b", autoRead: false),
                             InboxEntry(body: bodies[2], channel: "shop-a", autoRead: false),
                             InboxEntry(body: bodies[3], channel: "shop-b", autoRead: false)], receivedAt: h.clocks.now())
        func state(_ name: String) throws -> RelayTargetState? { try h.ledger.relayStore.relayTargets().first { $0.name == name } }
        try await RelayHarness.run(toAll) { (try? state("all"))??.delivered == 4 }
        try await RelayHarness.run(toA) { (try? state("only-a"))??.position == (try? state("all"))??.position }
        #expect(all.bodies == bodies.map { Array($0) })
        #expect(only.bodies == [Array(bodies[0]), Array(bodies[2])], "shop-b's bodies passed over")
        let onlyState = try #require(try state("only-a"))
        #expect(onlyState.delivered == 2 && onlyState.dead == 0 && onlyState.refused == 0, "passed over is not counted as anything")
        for post in all.posts {
            let signature = post.headers.first { $0.0 == "x-line-signature" }?.1
            let isA = [Array(bodies[0]), Array(bodies[2])].contains(post.body)
            #expect(signature == signatures[isA ? "shop-a" : "shop-b"]!.sign(post.body))
        }
    }

    /// A dead letter keeps its channel, so `relay retry` signs it with that channel's secret.
    @Test func aDeadLetterKeepsItsChannel() throws {
        let h = try RelayHarness()
        try h.ledger.relayStore.startRelayTarget("t", at: .start, now: h.clocks.now())
        try h.ledger.relayStore.recordRelay("t", outcome: .dead(reason: "HTTP 503, for 1m (max_age)", attempts: 3), body: [0x7B, 0x7D],
                                            channel: "shop-b", receivedAt: h.clocks.now(), through: InboxPosition(segment: 1, offset: 64),
                                            now: h.clocks.now())
        #expect(try h.ledger.relayStore.deadLetters(target: "t", queuedOnly: false, limit: 5).map(\.channel) == ["shop-b"])
    }
}
