import Foundation
import LINE
import Ledger
import LedgerTestSupport
import Server
import ServerTestSupport
import Store
import TalkVaultDomain
import Testing
import TestSupport

/// Several channels on one server: each on its own path with its own secret, and the shared path
/// routed by the body's destination. A body is stored only under the channel whose secret signed it.
@Suite struct ChannelRoutingTests {
    static let botA = "U0000000000000000000000000000000a"
    static let botB = "U0000000000000000000000000000000b"

    static func start(botB destinationB: String? = ChannelRoutingTests.botB) async throws -> ServerHarness {
        try await ServerHarness.start { settings in
            settings.channels = [WebhookChannel(name: "shop-a", webhookPath: "/webhook/shop-a", secret: "secret-a"),
                                 WebhookChannel(name: "shop-b", webhookPath: "/hooks/b", secret: "secret-b", destination: destinationB)]
            settings.sharedWebhookPath = "/webhook"
        }
    }

    static func body(_ id: String, to destination: String) -> Data {
        Webhook.body([Webhook.text(id, "hello \(id)", eventId: "e-\(id)", at: 1_790_000_000_000)], destination: destination)
    }

    static func channels(_ server: ServerHarness) throws -> [String: String] {
        let ledger = try Ledger.opened(path: server.ledgerPath, policy: .lineDefaults, create: false)
        var found: [String: String] = [:]
        try ledger.searchStore.find(FindQuery()) { found[$0.row.id] = $0.row.channel }
        return found
    }

    @Test func eachPathTakesOnlyItsOwnChannelsSignatureAndStoresUnderIt() async throws {
        let server = try await Self.start()
        let a = Self.body("m-a", to: Self.botA), b = Self.body("m-b", to: Self.botB)
        #expect(try await server.request(.POST, "/webhook/shop-a", body: a, signature: WebhookSignature(channelSecret: "secret-a").sign(a)).0 == 200)
        #expect(try await server.request(.POST, "/hooks/b", body: b, signature: WebhookSignature(channelSecret: "secret-b").sign(b)).0 == 200)
        let before = try server.counts()
        // Signed for A, sent to B's path (and the other way round): 401, nothing stored.
        let crossed = Self.body("m-x", to: Self.botA)
        #expect(try await server.request(.POST, "/hooks/b", body: crossed, signature: WebhookSignature(channelSecret: "secret-a").sign(crossed)).0 == 401)
        #expect(try await server.request(.POST, "/webhook/shop-a", body: crossed,
                                         signature: WebhookSignature(channelSecret: "secret-b").sign(crossed)).0 == 401)
        // The single-channel defaults are gone: no /webhook/default, and the test secret signs nothing.
        #expect(try await server.request(.POST, "/webhook/shop-a", body: crossed).0 == 401)
        #expect(try server.counts() == before)
        #expect(try Self.channels(server) == ["m-a": "shop-a", "m-b": "shop-b"])
        await server.stop()
    }

    @Test func theSharedPathRoutesByDestinationAndRefusesAnUnknownOne() async throws {
        let server = try await Self.start()
        // B's destination is configured: routed at once.
        let b = Self.body("s-b", to: Self.botB)
        #expect(try await server.request(.POST, "/webhook", body: b, signature: WebhookSignature(channelSecret: "secret-b").sign(b)).0 == 200)
        // A's is not known yet: 401, nothing stored, even with A's own signature.
        let a = Self.body("s-a", to: Self.botA)
        let (status, message) = try await server.request(.POST, "/webhook", body: a, signature: WebhookSignature(channelSecret: "secret-a").sign(a))
        #expect(status == 401 && message.contains("unknown destination"))
        // Signed with the wrong channel's secret for a known destination: 401.
        let forged = Self.body("s-f", to: Self.botB)
        #expect(try await server.request(.POST, "/webhook", body: forged, signature: WebhookSignature(channelSecret: "secret-a").sign(forged)).0 == 401)
        #expect(try await server.request(.POST, "/webhook", body: Data(#"{"events":[]}"#.utf8), signature: "x").0 == 401, "no destination")
        #expect(try Self.channels(server) == ["s-b": "shop-b"])

        // A body verified on A's own path teaches the server A's destination (the ledger keeps it).
        let first = Self.body("a-1", to: Self.botA)
        #expect(try await server.request(.POST, "/webhook/shop-a", body: first, signature: WebhookSignature(channelSecret: "secret-a").sign(first)).0 == 200)
        #expect(try await server.appliedByTheServer())
        var learned = false
        for _ in 0..<40 where !learned {
            // The directory looks in the ledger again at most once a second.
            try await Task.sleep(for: .milliseconds(100))
            learned = try await server.request(.POST, "/webhook", body: a, signature: WebhookSignature(channelSecret: "secret-a").sign(a)).0 == 200
        }
        #expect(learned)
        #expect(try Self.channels(server) == ["s-b": "shop-b", "a-1": "shop-a", "s-a": "shop-a"])
        let metrics = try await server.request(.GET, "/metrics").1
        #expect(metrics.contains(#"talkvault_webhook_requests_total{outcome="unknown_destination"}"#))
        await server.stop()
    }

    /// A destination learned from one channel's bodies never moves to another channel.
    @Test func aLearnedDestinationStaysWithTheChannelThatFirstVerifiedIt() async throws {
        let server = try await Self.start(botB: nil)
        let a = Self.body("a-1", to: Self.botA)
        #expect(try await server.request(.POST, "/webhook/shop-a", body: a, signature: WebhookSignature(channelSecret: "secret-a").sign(a)).0 == 200)
        // B's secret, B's path, but A's destination in the body.
        let b = Self.body("b-1", to: Self.botA)
        #expect(try await server.request(.POST, "/hooks/b", body: b, signature: WebhookSignature(channelSecret: "secret-b").sign(b)).0 == 200)
        #expect(try await server.appliedByTheServer())
        let ledger = try Ledger.opened(path: server.ledgerPath, policy: .lineDefaults, create: false)
        #expect(try ledger.captureStore.channelDestinations() == ["shop-a": Self.botA])
        await server.stop()
    }
}
