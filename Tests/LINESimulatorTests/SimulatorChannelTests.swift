import AsyncHTTPClient
import Crypto
import Foundation
import Hummingbird
import LINE
@testable import LINESimulator
import NIOCore
import NIOHTTP1
import TalkVaultDomain
import Testing
import TestSupport

/// Two shops beside the default channel.
enum Shops {
    static let a = SimulatedChannel.named("shop-a")
    static let b = SimulatedChannel.named("shop-b")
    static func config(_ faults: FaultConfig = FaultConfig()) -> SimulatorConfig {
        SimulatorConfig(seed: 7, channels: [a, b], transcodeSeconds: 0, faults: faults)
    }

    static func json(_ bytes: [UInt8]) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }
}

@Suite struct SimulatedChannelTests {
    @Test func aNamedChannelDerivesItsLocalCredentials() {
        let shop = SimulatedChannel.named("shop-a")
        #expect(shop.name == "shop-a")
        #expect(shop.accessToken == "simulator-access-token-shop-a")
        #expect(shop.channelSecret == "simulator-channel-secret-shop-a")
        let digest = SHA256.hash(data: Data("simulator-bot-shop-a".utf8)).map { String(format: "%02x", $0) }.joined()
        #expect(shop.destination == "U" + digest.prefix(32))
        #expect(shop.destination.count == 33)
        #expect(SimulatedChannel.named("shop-a") == shop)
        #expect(SimulatedChannel.named("shop-b").destination != shop.destination)
    }

    @Test func theDefaultChannelHasTheDocumentedDefaults() {
        let channel = SimulatedChannel.defaultChannel
        #expect(channel.name == "default")
        #expect(channel.accessToken == SimulatorConfig.defaultAccessToken)
        #expect(channel.channelSecret == SimulatorConfig.defaultChannelSecret)
        #expect(channel.destination == SimulatedChannel.named("default").destination)
    }

    @Test func namesAreSlugs() {
        for good in ["a", "shop-a", "7", "a-b-c", String(repeating: "x", count: 32)] {
            #expect(SimulatedChannel.isValidName(good), "\(good)")
        }
        for bad in ["", "-a", "a-", "Shop", "shop_a", "shop a", "ショップ", String(repeating: "x", count: 33), "a/b"] {
            #expect(!SimulatedChannel.isValidName(bad), "\(bad)")
        }
    }

    @Test func theConfigAddsNamedChannelsBesideTheDefaultOne() {
        let plain = SimulatorConfig(seed: 1, accessToken: "tok", channelSecret: "sec")
        #expect(plain.channels.map(\.name) == ["default"])
        #expect(plain.accessToken == "tok" && plain.channelSecret == "sec")
        #expect(plain.channels[0].destination == SimulatedChannel.defaultChannel.destination)

        var config = SimulatorConfig(seed: 1, accessToken: "tok", channels: [Shops.a, Shops.b])
        #expect(config.channels.map(\.name) == ["default", "shop-a", "shop-b"])
        #expect(config.channels[0].accessToken == "tok")
        #expect(config.channels[1] == Shops.a)
        #expect(config.channel(named: "shop-b") == Shops.b)
        #expect(config.channel(named: "shop-c") == nil)
        config.accessToken = "changed"
        #expect(config.channels[0].accessToken == "changed" && config.channels[1] == Shops.a)
        // A channel named like one before it replaces it.
        let replaced = SimulatorConfig(channels: [Shops.a, SimulatedChannel(name: "shop-a", accessToken: "x", channelSecret: "y", destination: "Uz")])
        #expect(replaced.channels.map(\.accessToken) == [SimulatorConfig.defaultAccessToken, "x"])
    }
}

@Suite struct SimulatorChannelAPITests {
    @Test func eachTokenGetsItsOwnBot() async throws {
        let sim = try await SimulatorHarness(Shops.config())
        var names: Set<String> = []
        for channel in [SimulatedChannel.defaultChannel, Shops.a, Shops.b] {
            let (status, _, body) = try await sim.get("/v2/bot/info", token: channel.accessToken)
            #expect(status == 200)
            let info = try Shops.json(body)
            #expect(info["userId"] as? String == channel.destination, "\(channel.name)")
            names.insert(try #require(info["displayName"] as? String))
        }
        #expect(names.count == 3)
        #expect(try await sim.get("/v2/bot/info", token: "simulator-access-token-shop-c").0 == 401)
        await sim.stop()
    }

    @Test func contentIsServedOnlyWithItsChannelsToken() async throws {
        let sim = try await SimulatorHarness(Shops.config())
        var image = sim.message("a-image", .image, size: 9_000)
        image.channel = Shops.a.name
        var video = sim.message("a-video", .video, size: 9_000)
        video.channel = Shops.a.name
        await sim.server.state.register([image, video, sim.message("d-image", .image, size: 9_000)])
        for path in ["/v2/bot/message/a-image/content", "/v2/bot/message/a-image/content/preview",
                     "/v2/bot/message/a-video/content", "/v2/bot/message/a-video/content/transcoding"] {
            #expect(try await sim.get(path, token: Shops.b.accessToken).0 == 404, "\(path) with shop-b's token")
            #expect(try await sim.get(path, token: SimulatorConfig.defaultAccessToken).0 == 404, "\(path) with the default token")
            #expect(try await sim.get(path, token: Shops.a.accessToken).0 == 200, "\(path) with shop-a's token")
        }
        let (_, _, body) = try await sim.get("/v2/bot/message/a-image/content", token: Shops.a.accessToken)
        #expect(sha256Hex(body) == ContentGenerator.stream(for: image, seed: 7).sha256())
        #expect(try await sim.get("/v2/bot/message/d-image/content", token: Shops.a.accessToken).0 == 404)
        #expect(try await sim.get("/v2/bot/message/d-image/content").0 == 200)
        // A profile is the channel's that heard from the user.
        #expect(try await sim.get("/v2/bot/profile/Uuser", token: Shops.a.accessToken).0 == 200)
        #expect(try await sim.get("/v2/bot/profile/Uuser", token: Shops.b.accessToken).0 == 404)
        await sim.stop()
    }

    @Test func markAsReadTakesOnlyTheChannelsOwnTokens() async throws {
        let sim = try await SimulatorHarness(Shops.config())
        var message = sim.message("a-text", .text, size: 0)
        message.channel = Shops.a.name
        message.markAsReadToken = "mart-a"
        await sim.server.state.register([message])
        let body = #"{"markAsReadToken":"mart-a"}"#
        let (refused, error) = try await sim.send(.POST, "/v2/bot/chat/markAsRead", json: body, token: Shops.b.accessToken)
        #expect(refused == 400)
        #expect(error.contains("An invalid markAsReadToken is specified"))
        #expect(try await sim.send(.POST, "/v2/bot/chat/markAsRead", json: body, token: SimulatorConfig.defaultAccessToken).0 == 400)
        #expect(try await sim.send(.POST, "/v2/bot/chat/markAsRead", json: body, token: Shops.a.accessToken).0 == 200)
        let stats = await sim.server.state.stats()
        #expect(stats.markAsRead.map(\.token) == ["mart-a"])
        #expect(stats.markAsRead.map(\.channel) == ["shop-a"])
        #expect(stats.channels["shop-a"]?.markAsRead == 1)
        #expect(stats.channels["shop-b"]?.markAsRead == 0)
        #expect(stats.channels["shop-b"]?.count("POST /v2/bot/chat/markAsRead", 400) == 1)
        await sim.stop()
    }

    @Test func statsCountEachChannelApart() async throws {
        let sim = try await SimulatorHarness(Shops.config())
        var message = sim.message("a-text", .text, size: 0)
        message.channel = Shops.a.name
        message.markAsReadToken = "mart-a"
        await sim.server.state.register([message])
        for _ in 0..<3 { _ = try await sim.get("/v2/bot/info", token: Shops.a.accessToken) }
        _ = try await sim.send(.POST, "/v2/bot/chat/markAsRead", json: #"{"markAsReadToken":"mart-a"}"#, token: Shops.a.accessToken)
        _ = try await sim.get("/v2/bot/info", token: Shops.b.accessToken)
        _ = try await sim.get("/v2/bot/message/nope/content", token: Shops.b.accessToken)
        _ = try await sim.get("/v2/bot/info", token: "unknown")

        let (status, _, raw) = try await sim.get("/admin/stats", token: nil)
        #expect(status == 200)
        let channels = try #require(try Shops.json(raw)["channels"] as? [String: [String: Any]])
        #expect(Set(channels.keys) == ["default", "shop-a", "shop-b"])
        #expect(channels["shop-a"]?["requests"] as? Int == 4)
        #expect(channels["shop-a"]?["mark_as_read"] as? Int == 1)
        #expect(channels["shop-b"]?["requests"] as? Int == 2)
        #expect(channels["shop-b"]?["mark_as_read"] as? Int == 0)
        #expect(channels["shop-b"]?["statuses"] as? [String: Int] == ["200": 1, "404": 1])
        #expect(channels["default"]?["requests"] as? Int == 0, "a refused token is no channel's")

        let stats = await sim.server.state.stats()
        #expect(stats.channels["shop-a"]?.count("GET /v2/bot/info", 200) == 3)
        #expect(stats.channels["shop-b"]?.count(status: 404) == 1)
        #expect(stats.count("GET /v2/bot/info", 401) == 1)
        #expect(stats.count("GET /v2/bot/info", 200) == 4, "the totals still count every channel")
        await sim.stop()
    }

    @Test func theRateLimitIsPerChannel() async throws {
        let sim = try await SimulatorHarness(Shops.config(FaultConfig(rateLimit: 0.01, rateBurst: 2, retryAfterSeconds: 3)))
        #expect(try await sim.get("/v2/bot/info", token: Shops.a.accessToken).0 == 200)
        #expect(try await sim.get("/v2/bot/info", token: Shops.a.accessToken).0 == 200)
        #expect(try await sim.get("/v2/bot/info", token: Shops.a.accessToken).0 == 429)
        #expect(try await sim.get("/v2/bot/info", token: Shops.b.accessToken).0 == 200)
        #expect(try await sim.get("/v2/bot/info", token: Shops.b.accessToken).0 == 200)
        #expect(try await sim.get("/v2/bot/info", token: SimulatorConfig.defaultAccessToken).0 == 200)
        #expect(try await sim.get("/v2/bot/info", token: Shops.b.accessToken).0 == 429)
        let stats = await sim.server.state.stats()
        #expect(stats.channels["shop-a"]?.count(status: 429) == 1)
        #expect(stats.channels["default"]?.count(status: 429) == 0)
        await sim.stop()
    }

    @Test func registrationCarriesTheChannelAndDefaultsToTheDefaultOne() async throws {
        let sim = try await SimulatorHarness(Shops.config())
        let now = SimulatorHarness.now.milliseconds
        let old = #"{"id":"old","kind":"image","chat_type":"user","chat_id":"U1","user_id":"U1","timestamp":\#(now),"size":5000,"external":false}"#
        let shop = #"{"id":"shop","kind":"image","chat_type":"user","chat_id":"U1","user_id":"U1","timestamp":\#(now),"size":5000,"external":false,"channel":"shop-a"}"#
        let (status, _) = try await sim.send(.POST, "/admin/messages", json: #"{"messages":[\#(old),\#(shop)],"unsends":[]}"#, token: nil)
        #expect(status == 200)
        #expect(try await sim.get("/v2/bot/message/old/content").0 == 200)
        #expect(try await sim.get("/v2/bot/message/old/content", token: Shops.a.accessToken).0 == 404)
        #expect(try await sim.get("/v2/bot/message/shop/content", token: Shops.a.accessToken).0 == 200)

        // A channel the simulator does not serve is refused by name, and nothing is registered.
        let stray = #"{"id":"stray","kind":"image","chat_type":"user","chat_id":"U1","user_id":"U1","timestamp":\#(now),"size":5000,"external":false,"channel":"shop-z"}"#
        let (refused, why) = try await sim.send(.POST, "/admin/messages", json: #"{"messages":[\#(stray)],"unsends":[]}"#, token: nil)
        #expect(refused == 400)
        #expect(why.contains("shop-z"))
        #expect(await sim.server.state.stats().messages == 2)
        var message = sim.message("stray2", .image)
        message.channel = "shop-z"
        let error = await #expect(throws: SimulatorError.self) {
            try await RemoteRegistry(baseURL: sim.url).register(messages: [message], unsends: [])
        }
        #expect(error?.description.contains("--channel shop-z") == true)
        await #expect(throws: SimulatorError.self) { try await sim.server.state.register(messages: [message], unsends: []) }
        #expect(await sim.server.state.stats().messages == 2)
        await sim.stop()
    }

    @Test func messagesAndGroundTruthRecordsWithoutAChannelAreTheDefaultChannels() throws {
        let message = try JSONDecoder().decode(SimulatedMessage.self, from: Data(
            #"{"id":"1","kind":"text","chat_type":"user","chat_id":"U","user_id":"U","timestamp":0,"size":0,"external":false}"#.utf8))
        #expect(message.channel == "default")
        let record = try JSONDecoder().decode(GroundTruthRecord.self, from: Data(
            #"{"id":"1","kind":"text","chat_id":"U","timestamp":0,"size":0,"unsent":false}"#.utf8))
        #expect(record.channel == "default")
        var shop = message
        shop.channel = "shop-a"
        let encoded = try JSONEncoder().encode(shop)
        #expect(String(decoding: encoded, as: UTF8.self).contains(#""channel":"shop-a""#))
        #expect(try JSONDecoder().decode(SimulatedMessage.self, from: encoded) == shop)
    }
}
