import AsyncHTTPClient
import Crypto
import Foundation
import Hummingbird
import LINE
@testable import LINESimulator
import NIOCore
import TalkVaultDomain
import Testing
import TestSupport

/// A webhook receiver that keeps every body with the signature it came with, and checks nothing.
actor SignatureRecorder {
    private(set) var received: [(body: Data, signature: String?)] = []
    func record(_ body: Data, _ signature: String?) { received.append((body, signature)) }
}

func startRecorder(_ recorder: SignatureRecorder) async throws -> (String, RunningGroup) {
    let router = Router()
    router.post("/webhook") { request, _ -> Response in
        let body = Data(try await request.body.collect(upTo: 1 << 20).readableBytesView)
        await recorder.record(body, request.headers[.init("x-line-signature")!])
        return Response(status: .ok)
    }
    return await startOnPort0(router)
}

@Suite struct ChannelTrafficTests {
    let end = Instant(rfc3339: "2026-11-22T12:00:00+09:00")!

    func plan(_ channel: SimulatedChannel? = nil, seed: UInt64 = 9, messages: Int = 120) -> TrafficPlan {
        var config = TrafficConfig(seed: seed, messages: messages, end: end, period: .days(3))
        if let channel { config.channel = channel }
        return TrafficGenerator.plan(config, simulator: SimulatorConfig(seed: 9))
    }

    /// Everything in a plan that names a message, a chat, a user or an event, or that the
    /// receiver hands back to LINE.
    func identifiers(_ plan: TrafficPlan) -> [String: Set<String>] {
        var ids: [String: Set<String>] = [:]
        for message in plan.messages {
            ids["message", default: []].insert(message.id)
            ids["user", default: []].insert(message.userId)
            ids["chat", default: []].insert(message.chatId)
            if let token = message.markAsReadToken { ids["markAsReadToken", default: []].insert(token) }
        }
        for event in plan.deliveries.flatMap(\.events) {
            if let id = event["webhookEventId"]?.stringValue { ids["webhookEventId", default: []].insert(id) }
            if let token = event["replyToken"]?.stringValue { ids["replyToken", default: []].insert(token) }
        }
        return ids
    }

    @Test func twoChannelsWithTheSameSeedShareNoId() {
        let a = identifiers(plan(Shops.a)), b = identifiers(plan(Shops.b)), home = identifiers(plan())
        for kind in ["message", "user", "chat", "markAsReadToken", "webhookEventId", "replyToken"] {
            let (ia, ib, ih) = (a[kind] ?? [], b[kind] ?? [], home[kind] ?? [])
            #expect(!ia.isEmpty && !ib.isEmpty && !ih.isEmpty, "\(kind)")
            #expect(ia.isDisjoint(with: ib), "\(kind) shared by shop-a and shop-b")
            #expect(ia.isDisjoint(with: ih) && ib.isDisjoint(with: ih), "\(kind) shared with the default channel")
        }
        for id in a["message"]! {
            #expect(id.count == 18 && id.allSatisfy(\.isNumber), "\(id) is not like LINE's ids")
        }
        // A channel's traffic is still a function of its seed.
        #expect(identifiers(plan(Shops.a)) == a)
    }

    @Test func theDefaultChannelsTrafficIsWhatTheSeedAlwaysGave() {
        let plain = plan()
        #expect(plain.destination == SimulatedChannel.defaultChannel.destination)
        #expect(plain.messages.allSatisfy { $0.channel == "default" })
        #expect(plan(.defaultChannel).deliveries.map { plain.body(of: $0) } == plain.deliveries.map { plain.body(of: $0) })
        // The ids of a plan from before there were channels, derived as they were then.
        let mixed = SeededGenerator.mix(9, ["ids"]) % 100_000
        #expect(plain.messages.enumerated().allSatisfy { $0.element.id == String(format: "4%05llu%012d", mixed, $0.offset) })
        var user0 = SeededGenerator(seed: 9, "user", "0")
        let firstUser = "U" + String(format: "%016llx%016llx", user0.next(), user0.next())
        #expect(Set(plain.messages.map(\.userId)).contains(firstUser))
    }

    @Test func aChannelsWebhooksAreSignedWithItsSecretAndNameItsBot() async throws {
        let recorder = SignatureRecorder()
        let (url, receiver) = try await startRecorder(recorder)
        let sim = try await SimulatorServer.start(config: Shops.config(), clock: FixedClock(end))
        let shopPlan = plan(Shops.a, messages: 40)
        #expect(shopPlan.destination == Shops.a.destination)
        let report = try await WebhookSender(target: url, channel: Shops.a, registry: sim.state).send(shopPlan)
        #expect(report.accepted == shopPlan.deliveries.count)

        let received = await recorder.received
        #expect(received.count == shopPlan.deliveries.count)
        let key = SymmetricKey(data: Data("simulator-channel-secret-shop-a".utf8))
        for (body, signature) in received {
            let expected = Data(HMAC<SHA256>.authenticationCode(for: body, using: key)).base64EncodedString()
            #expect(signature == expected)
            let parsed = try WebhookParser.parse(body)
            #expect(parsed.destination == Shops.a.destination)
        }
        // Registered under shop-a: its token gets the content, shop-b's does not.
        #expect(await sim.state.stats().messages == shopPlan.messages.count)
        let media = try #require(shopPlan.messages.first { $0.kind == .image && !$0.external && $0.unsentAt == nil })
        for (channel, status) in [(Shops.a, 200), (Shops.b, 404)] {
            var request = HTTPClientRequest(url: sim.baseURL + "/v2/bot/message/\(media.id)/content")
            request.headers.add(name: "Authorization", value: "Bearer \(channel.accessToken)")
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            _ = try await response.body.collect(upTo: 64 << 20)
            #expect(Int(response.status.code) == status, "\(channel.name)")
        }
        await receiver.stop()
        await sim.stop()
    }

    @Test func twoChannelsSentWithTheSameSeedAreBothKept() async throws {
        let recorder = SignatureRecorder()
        let (url, receiver) = try await startRecorder(recorder)
        let sim = try await SimulatorServer.start(config: Shops.config(), clock: FixedClock(end))
        let (a, b) = (plan(Shops.a, messages: 30), plan(Shops.b, messages: 30))
        _ = try await WebhookSender(target: url, channel: Shops.a, registry: sim.state).send(a)
        _ = try await WebhookSender(target: url, channel: Shops.b, registry: sim.state).send(b)
        #expect(await sim.state.stats().messages == a.messages.count + b.messages.count)
        let destinations = try await recorder.received.map { try WebhookParser.parse($0.body).destination }
        #expect(Set(destinations) == [Shops.a.destination, Shops.b.destination])
        await receiver.stop()
        await sim.stop()
    }

    @Test func groundTruthLinesNameTheirChannel() throws {
        let dir = TempDir()
        let shopPlan = plan(Shops.b, messages: 10)
        try shopPlan.writeGroundTruth(to: dir.file("truth.jsonl"), simulator: SimulatorConfig(seed: 9))
        let lines = try String(contentsOfFile: dir.file("truth.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 10)
        for line in lines {
            #expect(line.contains(#""channel":"shop-b""#))
            #expect(try JSONDecoder().decode(GroundTruthRecord.self, from: Data(line.utf8)).channel == "shop-b")
        }
    }
}
