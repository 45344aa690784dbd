import AsyncHTTPClient
import Crypto
import Foundation
import LINE
@testable import LINESimulator
import NIOCore
import NIOHTTP1
import TalkVaultDomain
import Testing
import TestSupport

/// A simulator in this process, on a free port, with a clock the test controls.
struct SimulatorHarness {
    let server: SimulatorServer
    var url: String { server.baseURL }
    static let now = Instant(rfc3339: "2026-11-22T12:00:00+09:00")!

    init(_ config: SimulatorConfig = SimulatorConfig(seed: 7, transcodeSeconds: 0)) async throws {
        server = try await SimulatorServer.start(config: config, clock: FixedClock(Self.now))
    }

    func message(_ id: String, _ kind: MessageKind, size: Int64 = 50_000, ageDays: Double = 1, fileName: String? = nil,
                 external: Bool = false) -> SimulatedMessage {
        SimulatedMessage(id: id, kind: kind, chatType: .user, chatId: "Uuser", userId: "Uuser",
                         timestamp: Self.now.milliseconds - Int64(ageDays * 86_400_000), size: size,
                         fileName: fileName, external: external)
    }

    func get(_ path: String, token: String? = SimulatorConfig.defaultAccessToken) async throws -> (Int, HTTPHeaders, [UInt8]) {
        var request = HTTPClientRequest(url: url + path)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 64 << 20)
        return (Int(response.status.code), response.headers, Array(body.readableBytesView))
    }

    func send(_ method: HTTPMethod, _ path: String, json: String, token: String? = SimulatorConfig.defaultAccessToken) async throws -> (Int, String) {
        var request = HTTPClientRequest(url: url + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: json))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), String(buffer: body))
    }

    func stop() async { await server.stop() }
}

func sha256Hex(_ bytes: [UInt8]) -> String { SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined() }

@Suite struct SimulatorContentTests {
    @Test func contentNeedsTheBearerToken() async throws {
        let sim = try await SimulatorHarness()
        await sim.server.state.register([sim.message("m1", .image)])
        #expect(try await sim.get("/v2/bot/message/m1/content", token: nil).0 == 401)
        #expect(try await sim.get("/v2/bot/message/m1/content", token: "wrong").0 == 401)
        #expect(try await sim.get("/v2/bot/info", token: nil).0 == 401)
        await sim.stop()
    }

    @Test func servesDeterministicBytesWithTypeAndLength() async throws {
        let sim = try await SimulatorHarness()
        let message = sim.message("m1", .image, size: 123_457)
        await sim.server.state.register([message])
        let (status, headers, body) = try await sim.get("/v2/bot/message/m1/content")
        #expect(status == 200)
        #expect(body.count == 123_457)
        #expect(headers.first(name: "Content-Length") == "123457")
        let expected = ContentGenerator.stream(for: message, seed: 7)
        #expect(headers.first(name: "Content-Type") == expected.contentType)
        #expect(sha256Hex(body) == expected.sha256())
        let stats = await sim.server.state.stats()
        #expect(stats.count("GET /v2/bot/message/{id}/content", 200) == 1)
        #expect(stats.bytesServed == 123_457)
        await sim.stop()
    }

    @Test func unknownIdsAndExpiredContentAre404() async throws {
        let sim = try await SimulatorHarness()
        await sim.server.state.register([sim.message("fresh", .file, ageDays: 6.9, fileName: "a.txt"),
                                         sim.message("old", .file, ageDays: 7.1, fileName: "a.txt"),
                                         sim.message("text", .text, size: 0)])
        #expect(try await sim.get("/v2/bot/message/nope/content").0 == 404)
        #expect(try await sim.get("/v2/bot/message/old/content").0 == 404)
        #expect(try await sim.get("/v2/bot/message/text/content").0 == 404)
        #expect(try await sim.get("/v2/bot/message/fresh/content").0 == 200)
        // The window closes on the simulator's clock.
        await sim.server.state.advanceClock(seconds: 0.2 * 86_400)
        #expect(try await sim.get("/v2/bot/message/fresh/content").0 == 404)
        await sim.stop()
    }

    @Test func unsentContentIsGone() async throws {
        let sim = try await SimulatorHarness()
        await sim.server.state.register([sim.message("m1", .video)])
        await sim.server.state.unsend(id: "m1", at: SimulatorHarness.now.milliseconds - 1)
        let (status, _, body) = try await sim.get("/v2/bot/message/m1/content")
        #expect(status == 410)
        #expect(String(decoding: body, as: UTF8.self) == #"{"message":"The content is gone"}"#)
        await sim.stop()
    }

    @Test func videoAnswers202UntilTranscoded() async throws {
        let sim = try await SimulatorHarness(SimulatorConfig(seed: 7, transcodeSeconds: 60))
        await sim.server.state.register([sim.message("v1", .video, size: 20_000), sim.message("i1", .image)])
        #expect(try await sim.get("/v2/bot/message/v1/content").0 == 202)
        let (_, _, processing) = try await sim.get("/v2/bot/message/v1/content/transcoding")
        #expect(String(decoding: processing, as: UTF8.self) == #"{"status":"processing"}"#)
        #expect(try await sim.get("/v2/bot/message/i1/content").0 == 200, "images do not transcode")
        await sim.server.state.advanceClock(seconds: 61)
        let (_, _, done) = try await sim.get("/v2/bot/message/v1/content/transcoding")
        #expect(String(decoding: done, as: UTF8.self) == #"{"status":"succeeded"}"#)
        #expect(try await sim.get("/v2/bot/message/v1/content").0 == 200)
        await sim.stop()
    }

    @Test func failedTranscodingIsReported() async throws {
        let sim = try await SimulatorHarness(SimulatorConfig(seed: 7, transcodeSeconds: 0, transcodeFailureRate: 1))
        await sim.server.state.register([sim.message("a1", .audio)])
        let (_, _, body) = try await sim.get("/v2/bot/message/a1/content/transcoding")
        #expect(String(decoding: body, as: UTF8.self) == #"{"status":"failed"}"#)
        #expect(try await sim.get("/v2/bot/message/a1/content").0 == 404)
        await sim.stop()
    }

    @Test func previewsExistForImagesAndVideos() async throws {
        let sim = try await SimulatorHarness()
        await sim.server.state.register([sim.message("i1", .image), sim.message("f1", .file, fileName: "x.pdf")])
        let (status, headers, body) = try await sim.get("/v2/bot/message/i1/content/preview")
        #expect(status == 200)
        #expect(headers.first(name: "Content-Type") == "image/jpeg")
        #expect(body.count < 20_000)
        #expect(try await sim.get("/v2/bot/message/f1/content/preview").0 == 404)
        await sim.stop()
    }

    @Test func externalContentIsServedAtItsOwnURLOnly() async throws {
        let sim = try await SimulatorHarness()
        let message = sim.message("e1", .image, size: 10_000, ageDays: 30, external: true)
        await sim.server.state.register([message])
        #expect(try await sim.get("/v2/bot/message/e1/content").0 == 404)
        let (status, _, body) = try await sim.get("/external/content/e1", token: nil)
        #expect(status == 200, "external servers keep content past LINE's window and need no token")
        #expect(sha256Hex(body) == ContentGenerator.stream(for: message, seed: 7).sha256())
        await sim.stop()
    }
}

@Suite struct SimulatorAPITests {
    @Test func profilesHaveJapaneseDisplayNames() async throws {
        let sim = try await SimulatorHarness()
        await sim.server.state.register([sim.message("m1", .text, size: 0)])
        let (status, _, body) = try await sim.get("/v2/bot/profile/Uuser")
        #expect(status == 200)
        let profile = try JSONSerialization.jsonObject(with: Data(body)) as! [String: String]
        #expect(profile["userId"] == "Uuser")
        let name = try #require(profile["displayName"])
        #expect(name.unicodeScalars.contains { $0.value >= 0x4E00 && $0.value <= 0x9FFF })
        #expect(try await sim.get("/v2/bot/group/Cgroup/member/Uuser").0 == 200)
        #expect(try await sim.get("/v2/bot/room/Rroom/member/Uuser").0 == 200)
        #expect(try await sim.get("/v2/bot/profile/Ustranger").0 == 404)
        await sim.stop()
    }

    @Test func botInfoReportsTheModes() async throws {
        let sim = try await SimulatorHarness(SimulatorConfig(seed: 7, markAsReadMode: "auto", chatMode: "bot"))
        let (_, _, body) = try await sim.get("/v2/bot/info")
        let info = try JSONSerialization.jsonObject(with: Data(body)) as! [String: String]
        #expect(info["markAsReadMode"] == "auto")
        #expect(info["chatMode"] == "bot")
        await sim.stop()
    }

    @Test func markAsReadIsRecorded() async throws {
        let sim = try await SimulatorHarness()
        var message = sim.message("t1", .text, size: 0)
        message.markAsReadToken = "tok-1"
        await sim.server.state.register([message])
        #expect(try await sim.send(.POST, "/v2/bot/chat/markAsRead", json: #"{"markAsReadToken":"tok-1"}"#).0 == 200)
        #expect(try await sim.send(.POST, "/v2/bot/chat/markAsRead", json: #"{}"#).0 == 400)
        #expect(try await sim.send(.POST, "/v2/bot/chat/markAsRead", json: #"{"markAsReadToken":"x"}"#, token: nil).0 == 401)
        #expect(await sim.server.state.stats().markAsRead.map(\.token) == ["tok-1"])
        await sim.stop()
    }

    @Test func markAsReadRefusesATokenItNeverIssued() async throws {
        let sim = try await SimulatorHarness()
        let (status, body) = try await sim.send(.POST, "/v2/bot/chat/markAsRead", json: #"{"markAsReadToken":"never-issued"}"#)
        #expect(status == 400)
        let error = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        #expect(error?["message"] as? String == "An invalid markAsReadToken is specified")
        #expect(await sim.server.state.stats().markAsRead.isEmpty)
        #expect(await sim.server.state.stats().count("POST /v2/bot/chat/markAsRead", 400) == 1)
        await sim.stop()
    }

    @Test func generatedTrafficRegistersTheTokensItsWebhooksCarry() async throws {
        let sim = try await SimulatorHarness()
        let plan = TrafficGenerator.plan(TrafficConfig(seed: 3, messages: 20, end: SimulatorHarness.now), simulator: SimulatorConfig(seed: 7))
        let delivered = plan.deliveries.flatMap(\.events).compactMap { $0["message"]?["markAsReadToken"]?.stringValue }
        #expect(Set(plan.messages.compactMap(\.markAsReadToken)).isSuperset(of: delivered) && !delivered.isEmpty)
        await sim.server.state.register(plan.messages)
        let token = plan.messages[0].markAsReadToken!
        #expect(try await sim.send(.POST, "/v2/bot/chat/markAsRead", json: #"{"markAsReadToken":"\#(token)"}"#).0 == 200)
        await sim.stop()
    }
}

@Suite struct SimulatorFaultTests {
    @Test func theTokenBucketAnswers429WithAndWithoutRetryAfter() async throws {
        let sim = try await SimulatorHarness(SimulatorConfig(seed: 7, faults: FaultConfig(rateLimit: 0.01, rateBurst: 2, retryAfterSeconds: 3)))
        #expect(try await sim.get("/v2/bot/info").0 == 200)
        #expect(try await sim.get("/v2/bot/info").0 == 200)
        let (status, headers, _) = try await sim.get("/v2/bot/info")
        #expect(status == 429)
        #expect(headers.first(name: "Retry-After") == "3")
        await sim.server.state.setFaults(FaultConfig(rateLimit: 0.01, rateBurst: 2, retryAfterSeconds: nil))
        let (again, noRetry, _) = try await sim.get("/v2/bot/info")
        #expect(again == 429)
        #expect(noRetry.first(name: "Retry-After") == nil)
        await sim.stop()
    }

    @Test func errorsCanBeSwitchedOnAndOffMidRun() async throws {
        let sim = try await SimulatorHarness()
        await sim.server.state.register([sim.message("m1", .image, size: 1_000)])
        let (put, _) = try await sim.send(.PUT, "/admin/faults", json: #"{"error_rate": 1}"#, token: nil)
        #expect(put == 200)
        for _ in 0..<5 { #expect([500, 503].contains(try await sim.get("/v2/bot/message/m1/content").0)) }
        _ = try await sim.send(.PUT, "/admin/faults", json: #"{"error_rate": 0}"#, token: nil)
        #expect(try await sim.get("/v2/bot/message/m1/content").0 == 200)
        await sim.stop()
    }

    @Test func anErrorShareIsReproducibleFromTheSeed() async throws {
        func run() async throws -> [Int] {
            let sim = try await SimulatorHarness(SimulatorConfig(seed: 11, transcodeSeconds: 0, faults: FaultConfig(errorRate: 0.3)))
            await sim.server.state.register([sim.message("m1", .image, size: 1_000)])
            var statuses: [Int] = []
            for _ in 0..<40 { statuses.append(try await sim.get("/v2/bot/message/m1/content").0) }
            await sim.stop()
            return statuses
        }
        let first = try await run()
        #expect(try await run() == first)
        let errors = first.filter { $0 >= 500 }.count
        #expect(errors > 3 && errors < 25, "about 30% of 40: \(errors)")
    }

    @Test func aTruncatedBodyEndsBeforeContentLength() async throws {
        let sim = try await SimulatorHarness(SimulatorConfig(seed: 7, transcodeSeconds: 0, faults: FaultConfig(truncateRate: 1)))
        await sim.server.state.register([sim.message("m1", .file, size: 500_000, fileName: "big.bin")])
        var request = HTTPClientRequest(url: sim.url + "/v2/bot/message/m1/content")
        request.headers.add(name: "Authorization", value: "Bearer \(SimulatorConfig.defaultAccessToken)")
        var received = 0
        var failed = false
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            #expect(response.headers.first(name: "Content-Length") == "500000")
            for try await chunk in response.body { received += chunk.readableBytes }
        } catch {
            failed = true
        }
        #expect(failed, "the client must see the cut, not a complete body")
        #expect(received < 500_000)
        await sim.stop()
    }

    @Test func latencyAndDripSlowAnswersDown() async throws {
        let sim = try await SimulatorHarness(SimulatorConfig(seed: 7, transcodeSeconds: 0,
            faults: FaultConfig(latencyMilliseconds: 50, dripRate: 1, dripBytesPerSecond: 40_000)))
        await sim.server.state.register([sim.message("m1", .file, size: 8_000, fileName: "a.bin")])
        let clock = ContinuousClock()
        let started = clock.now
        let (status, _, body) = try await sim.get("/v2/bot/message/m1/content")
        #expect(status == 200 && body.count == 8_000)
        // 50 ms latency plus 8 KB at 40 KB/s: well over 150 ms, whatever the machine's load.
        #expect(clock.now - started >= .milliseconds(150))
        await sim.stop()
    }
}
