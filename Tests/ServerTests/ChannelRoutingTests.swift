import Foundation
import LINE
import Ledger
import LedgerTestSupport
@testable import Server
import LINEClient
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

    /// The account of before `channels:` listed under a new name: the ledger's `default` claim of
    /// its bot id routes nothing (no secret could verify it), and the first body verified on the
    /// new name's own path takes the bot id over, for the shared path too.
    @Test func aRenamedAccountTakesItsBotIdOverFromTheNameItHadBefore() async throws {
        let before = try LedgerHarness()
        _ = try before.capture(Self.body("old-1", to: Self.botA))
        #expect(try before.ledger.captureStore.channelDestinations() == ["default": Self.botA])
        let server = try await ServerHarness.start(ledgerPath: before.ledger.path) { settings in
            settings.channels = [WebhookChannel(name: "shop-a", webhookPath: "/webhook/shop-a", secret: "secret-a"),
                                 WebhookChannel(name: "shop-b", webhookPath: "/hooks/b", secret: "secret-b")]
            settings.sharedWebhookPath = "/webhook"
        }
        let shared = Self.body("s-1", to: Self.botA)
        let (status, message) = try await server.request(.POST, "/webhook", body: shared, signature: WebhookSignature(channelSecret: "secret-a").sign(shared))
        #expect(status == 401 && message.contains("unknown destination"), "default's claim does not route: \(message)")
        let own = Self.body("a-1", to: Self.botA)
        #expect(try await server.request(.POST, "/webhook/shop-a", body: own, signature: WebhookSignature(channelSecret: "secret-a").sign(own)).0 == 200)
        #expect(try await server.appliedByTheServer())
        var routed = false
        for _ in 0..<40 where !routed {
            try await Task.sleep(for: .milliseconds(100))
            routed = try await server.request(.POST, "/webhook", body: shared, signature: WebhookSignature(channelSecret: "secret-a").sign(shared)).0 == 200
        }
        #expect(routed)
        let ledger = try Ledger.opened(path: server.ledgerPath, policy: .lineDefaults, create: false)
        #expect(try ledger.captureStore.channelDestinations() == ["shop-a": Self.botA])
        #expect(try Self.channels(server) == ["old-1": "default", "a-1": "shop-a", "s-1": "shop-a"])
        await server.stop()
        withExtendedLifetime(before) {}
    }

    /// Clients and secrets per channel: the one channel of before `channels:` serves every
    /// message; listed channels only their own, and the history of `default` its old credentials.
    @Test func eachChannelsCredentialsServeOnlyItsOwnMessages() {
        var settings = ServerSettings(channelSecret: "old-secret", ledgerPath: "/nonexistent", policy: .lineDefaults, timeZone: .gmt)
        settings.markAsRead = MarkAsReadClient(apiBaseURL: "http://127.0.0.1:9", accessToken: "old-token")
        #expect(settings.markAsReadClients["any-channel"] != nil, "without channels:, the one token serves every message")
        var shopA = WebhookChannel(name: "shop-a", webhookPath: "/webhook/shop-a", secret: "secret-a")
        shopA.markAsRead = MarkAsReadClient(apiBaseURL: "http://127.0.0.1:9", accessToken: "token-a")
        settings.channels = [shopA]
        #expect(settings.markAsReadClients["shop-a"] != nil && settings.markAsReadClients["default"] == nil,
                "a lone listed channel's token is its own, not the history's")
        #expect(Set(settings.relaySignatures.keys) == ["shop-a"])
        settings.history = ChannelHistory(name: "default", secret: "old-secret",
                                          markAsRead: MarkAsReadClient(apiBaseURL: "http://127.0.0.1:9", accessToken: "old-token"))
        #expect(settings.markAsReadClients["default"] != nil)
        let body = Data(#"{"destination":"U0","events":[]}"#.utf8)
        #expect(settings.relaySignatures["default"]?.sign(body) == WebhookSignature(channelSecret: "old-secret").sign(body))
    }
}
