import AsyncHTTPClient
import Crypto
import Foundation
import Hummingbird
import Gzip
import LINE
@testable import LINESimulator
import NIOCore
import TalkVaultDomain
import Testing
import TestSupport

@Suite struct ContentFormatTests {
    func bytes(_ kind: MessageKind, size: Int64, fileName: String? = nil, seed: UInt64 = 3, id: String = "m") -> (ContentStream, [UInt8]) {
        let message = SimulatedMessage(id: id, kind: kind, chatType: .user, chatId: "U", userId: "U", timestamp: 0,
                                       size: size, fileName: fileName)
        let stream = ContentGenerator.stream(for: message, seed: seed)
        var data: [UInt8] = []
        for chunk in stream { data += chunk }
        return (stream, data)
    }

    @Test(arguments: [Int64(600), 4_096, 65_600, 1_000_003, 3_000_000])
    func everyFormatHasExactlyItsSize(_ size: Int64) {
        for (kind, name) in [(MessageKind.image, nil), (.video, nil), (.audio, nil), (.file, "a.pdf"), (.file, "a.txt"),
                             (.file, "a.zip"), (.file, "b.png"), (.file, "c.jpg")] as [(MessageKind, String?)] {
            let (stream, data) = bytes(kind, size: size, fileName: name)
            #expect(data.count == Int(size), "\(kind) \(name ?? "")")
            #expect(stream.size == size)
        }
    }

    @Test func theSameSeedGivesTheSameBytesAndAnotherSeedDoesNot() {
        let a = bytes(.video, size: 200_000, seed: 5).1
        #expect(bytes(.video, size: 200_000, seed: 5).1 == a)
        #expect(bytes(.video, size: 200_000, seed: 6).1 != a)
        #expect(bytes(.video, size: 200_000, seed: 5, id: "other").1 != a)
    }

    @Test func jpegHasMarkersAndNoStrayOnesInside() {
        let (stream, data) = bytes(.file, size: 100_000, fileName: "x.jpg")
        #expect(stream.contentType == "image/jpeg")
        #expect(data.prefix(2) == [0xFF, 0xD8])
        #expect(data.suffix(2) == [0xFF, 0xD9])
        let scan = data.dropFirst(200).dropLast(2)
        #expect(!scan.contains(0xFF), "entropy data must not contain markers")
    }

    @Test func pngChunksHaveValidLengthsAndCRCs() throws {
        let (_, data) = bytes(.file, size: 300_000, fileName: "x.png")
        #expect(data.prefix(8) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        var offset = 8
        var types: [String] = []
        while offset < data.count {
            let length = Int(UInt32(data[offset]) << 24 | UInt32(data[offset + 1]) << 16 | UInt32(data[offset + 2]) << 8 | UInt32(data[offset + 3]))
            let type = String(decoding: data[offset + 4..<offset + 8], as: UTF8.self)
            let end = offset + 8 + length
            let crc = UInt32(data[end]) << 24 | UInt32(data[end + 1]) << 16 | UInt32(data[end + 2]) << 8 | UInt32(data[end + 3])
            #expect(crc == CRC32.checksum(Array(data[offset + 4..<end])), "chunk \(type) at \(offset)")
            types.append(type)
            offset = end + 4
        }
        #expect(offset == data.count)
        #expect(types.first == "IHDR" && types.last == "IEND" && types.contains("IDAT"))
    }

    @Test func isoMediaBoxesCoverTheFile() {
        for kind in [MessageKind.video, .audio] {
            let (_, data) = bytes(kind, size: 250_000)
            var offset = 0
            var boxes: [String] = []
            while offset < data.count {
                let size = Int(UInt32(data[offset]) << 24 | UInt32(data[offset + 1]) << 16 | UInt32(data[offset + 2]) << 8 | UInt32(data[offset + 3]))
                boxes.append(String(decoding: data[offset + 4..<offset + 8], as: UTF8.self))
                offset += size
            }
            #expect(offset == data.count)
            #expect(boxes == ["ftyp", "mdat"])
        }
        #expect(String(decoding: bytes(.audio, size: 1_000).1[8..<12], as: UTF8.self) == "M4A ")
    }

    @Test func pdfXrefOffsetsPointAtTheirObjects() throws {
        let (_, data) = bytes(.file, size: 80_000, fileName: "見積書.pdf")
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.hasPrefix("%PDF-1.4"))
        #expect(text.hasSuffix("%%EOF\n"))
        let startxref = try #require(text.range(of: "startxref\n", options: .backwards))
        let xrefOffset = try #require(Int(text[startxref.upperBound...].prefix { $0.isNumber }))
        #expect(Array(data[xrefOffset..<xrefOffset + 4]) == Array("xref".utf8))
        // Each entry "0000000123 00000 n" must point at "N 0 obj".
        let entries = String(decoding: data[xrefOffset...], as: UTF8.self).split(separator: "\n").filter { $0.hasSuffix(" n ") }
        for (number, entry) in entries.enumerated() {
            let offset = try #require(Int(entry.prefix(10)))
            #expect(String(decoding: data[offset..<offset + 8], as: UTF8.self) == "\(number + 1) 0 obj\n")
        }
        #expect(entries.count == 4)
    }

    @Test func textIsValidUTF8() {
        let (_, data) = bytes(.file, size: 150_001, fileName: "メモ.txt")
        #expect(String(validating: data, as: UTF8.self) != nil)
    }
}


@Suite struct TrafficTests {
    let end = Instant(rfc3339: "2026-11-22T12:00:00+09:00")!

    func plan(seed: UInt64 = 9, messages: Int = 400) -> TrafficPlan {
        TrafficGenerator.plan(TrafficConfig(seed: seed, messages: messages, end: end, period: .days(21)),
                              simulator: SimulatorConfig(seed: 9))
    }

    @Test func theSameSeedGivesTheSameTraffic() {
        let a = plan(seed: 9, messages: 80), b = plan(seed: 9, messages: 80), c = plan(seed: 10, messages: 80)
        #expect(a.deliveries.map { a.body(of: $0) } == b.deliveries.map { b.body(of: $0) })
        #expect(a.deliveries.map { a.body(of: $0) } != c.deliveries.map { c.body(of: $0) })
    }

    @Test func trafficIsRealistic() throws {
        let plan = plan()
        var types: Set<String> = [], kinds: Set<String> = [], sources: Set<String> = []
        var imageSets = 0, fileNames: [String] = [], maxBatch = 0
        var previousTimestamp: Int64 = 0, outOfOrder = 0
        for delivery in plan.deliveries {
            let body = try WebhookParser.parse(plan.body(of: delivery))
            maxBatch = max(maxBatch, body.events.count)
            for event in body.events {
                types.insert(event.type)
                if let chat = event.chat { sources.insert(chat.type.rawValue) }
                if case .message(let m) = event.payload {
                    kinds.insert(m.lineType)
                    if let name = m.fileName { fileNames.append(name) }
                }
                if event.rawJSON.contains("\"imageSet\"") { imageSets += 1 }
                #expect(event.timestamp.milliseconds >= end.milliseconds - 21 * 86_400_000)
                #expect(event.timestamp.milliseconds <= end.milliseconds + 86_400_000)
                if event.timestamp.milliseconds < previousTimestamp { outOfOrder += 1 }
                previousTimestamp = event.timestamp.milliseconds
            }
        }
        #expect(types.isSuperset(of: ["message", "unsend", "messageEdited", "hologramShared"]))
        #expect(kinds == ["text", "sticker", "location", "image", "video", "audio", "file", "hologram"])
        #expect(sources == ["user", "group", "room"])
        #expect(imageSets > 0)
        #expect(fileNames.contains("../../etc/passwd"))
        #expect(maxBatch > 1)
        #expect(outOfOrder > 0)
        let texts = plan.deliveries.flatMap(\.events).compactMap { $0["message"]?["text"]?.stringValue }
        #expect(texts.contains { $0.unicodeScalars.contains { $0.properties.isEmojiPresentation } })
    }

    @Test func groundTruthMatchesWhatTheSimulatorServes() async throws {
        let dir = TempDir()
        let config = SimulatorConfig(seed: 9, transcodeSeconds: 0,
                                     sizes: [.image: SizeRange(min: 1_000, max: 20_000), .video: SizeRange(min: 1_000, max: 20_000),
                                             .audio: SizeRange(min: 1_000, max: 20_000), .file: SizeRange(min: 1_000, max: 20_000)])
        let sim = try await SimulatorServer.start(config: config, clock: FixedClock(end))
        let plan = TrafficGenerator.plan(TrafficConfig(seed: 9, messages: 60, end: end, period: .days(3), externalBaseURL: sim.baseURL),
                                         simulator: config)
        try await sim.state.register(messages: plan.messages, unsends: [])
        try plan.writeGroundTruth(to: dir.file("truth.jsonl"), simulator: config)
        let lines = try String(contentsOfFile: dir.file("truth.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 60)
        var checked = 0
        for line in lines {
            let record = try JSONDecoder().decode(GroundTruthRecord.self, from: Data(line.utf8))
            guard let sha = record.sha256, !record.unsent else { continue }
            let message = try #require(plan.messages.first { $0.id == record.id })
            let path = message.external ? "/external/content/\(record.id)" : "/v2/bot/message/\(record.id)/content"
            var request = HTTPClientRequest(url: sim.baseURL + path)
            request.headers.add(name: "Authorization", value: "Bearer \(SimulatorConfig.defaultAccessToken)")
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            let body = Array(try await response.body.collect(upTo: 1 << 20).readableBytesView)
            #expect(response.status.code == 200)
            #expect(sha256Hex(body) == sha)
            #expect(Int64(body.count) == record.size)
            checked += 1
        }
        #expect(checked > 10)
        await sim.stop()
    }
}

extension TrafficTests {
    @Test func groundTruthRecordsEachTranscodeOutcomeAsTheSimulatorServesIt() async throws {
        let dir = TempDir()
        let config = SimulatorConfig(seed: 4, transcodeSeconds: 0, transcodeFailureRate: 0.5,
                                     sizes: [.image: SizeRange(min: 1_000, max: 5_000), .video: SizeRange(min: 1_000, max: 5_000),
                                             .audio: SizeRange(min: 1_000, max: 5_000), .file: SizeRange(min: 1_000, max: 5_000)])
        let sim = try await SimulatorServer.start(config: config, clock: FixedClock(end))
        let weights: [MessageKind: Double] = [.text: 1, .image: 1, .video: 3, .audio: 3]
        let plan = TrafficGenerator.plan(TrafficConfig(seed: 4, messages: 60, end: end, period: .days(1), kindWeights: weights,
                                                       externalShare: 0.2, unsendRate: 0, externalBaseURL: sim.baseURL), simulator: config)
        await sim.state.register(plan.messages)
        try plan.writeGroundTruth(to: dir.file("truth.jsonl"), simulator: config)
        var outcomes: [String: Int] = [:]
        for line in try String(contentsOfFile: dir.file("truth.jsonl"), encoding: .utf8).split(separator: "\n") {
            let record = try JSONDecoder().decode(GroundTruthRecord.self, from: Data(line.utf8))
            let message = try #require(plan.messages.first { $0.id == record.id })
            guard message.kind.mayTranscode, !message.external else {
                // Nothing LINE transcodes: no outcome, and no key in the line.
                #expect(record.transcode == nil, "\(record.id) \(record.kind)")
                #expect(!line.contains("\"transcode\""))
                continue
            }
            let outcome = try #require(record.transcode, "\(record.id)")
            outcomes[outcome, default: 0] += 1
            var status = HTTPClientRequest(url: sim.baseURL + "/v2/bot/message/\(record.id)/content/transcoding")
            status.headers.add(name: "Authorization", value: "Bearer \(SimulatorConfig.defaultAccessToken)")
            let answer = try await HTTPClient.shared.execute(status, timeout: .seconds(30))
            let json = try JSONSerialization.jsonObject(with: Data(try await answer.body.collect(upTo: 1 << 16).readableBytesView)) as? [String: String]
            #expect(json?["status"] == outcome, "\(record.id)")
            var content = HTTPClientRequest(url: sim.baseURL + "/v2/bot/message/\(record.id)/content")
            content.headers.add(name: "Authorization", value: "Bearer \(SimulatorConfig.defaultAccessToken)")
            let served = try await HTTPClient.shared.execute(content, timeout: .seconds(30))
            _ = try await served.body.collect(upTo: 1 << 20)
            #expect(served.status.code == (outcome == "failed" ? 404 : 200), "\(record.id)")
        }
        #expect((outcomes["failed"] ?? 0) > 3 && (outcomes["succeeded"] ?? 0) > 3, "\(outcomes)")
        #expect(plan.messages.contains { $0.external && $0.kind.mayTranscode })
        await sim.stop()
    }
}

/// A webhook receiver for tests: verifies signatures, fails the first `failFirst` requests.
actor Receiver {
    private(set) var bodies: [Data] = []
    private(set) var badSignatures = 0
    private var failuresLeft: Int
    init(failFirst: Int) { failuresLeft = failFirst }

    func receive(_ body: Data, signature: String?, verifier: WebhookSignature) -> HTTPResponse.Status {
        guard verifier.isValid(signature, for: body) else { badSignatures += 1; return .unauthorized }
        if failuresLeft > 0 { failuresLeft -= 1; return .internalServerError }
        bodies.append(body)
        return .ok
    }
}

/// Runs `router` on a port of loopback the system picks; its `/webhook` URL and its group.
func startOnPort0(_ router: Router<BasicRequestContext>) async -> (String, RunningGroup) {
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                          onServerRunning: { continuation.yield($0.localAddress?.port ?? 0); continuation.finish() })
    let running = RunningGroup(app)
    var iterator = ports.makeAsyncIterator()
    let port = await iterator.next() ?? 0
    return ("http://127.0.0.1:\(port)/webhook", running)
}

func startReceiver(_ receiver: Receiver, secret: String) async throws -> (String, RunningGroup) {
    let router = Router()
    let verifier = WebhookSignature(channelSecret: secret)
    router.post("/webhook") { request, _ -> Response in
        let body = Data(try await request.body.collect(upTo: 1 << 20).readableBytesView)
        return Response(status: await receiver.receive(body, signature: request.headers[.init("x-line-signature")!], verifier: verifier))
    }
    return await startOnPort0(router)
}

@Suite struct WebhookSenderTests {
    @Test func theConformanceVectorVerifies() {
        let signature = WebhookSignature(channelSecret: "channel_secret")
        let body = Data("bodybodybodybody".utf8)
        #expect(signature.sign(body) == "/gg9a+LvFevTH1sd7XCQycD7tsWclCsInj7MhBHxN7k=")
        #expect(signature.isValid("/gg9a+LvFevTH1sd7XCQycD7tsWclCsInj7MhBHxN7k=", for: body))
        #expect(!signature.isValid("/gg9a+LvFevTH1sd7XCQycD7tsWclCsInj7MhBHxN7K=", for: body))
        #expect(!signature.isValid(nil, for: body))
        #expect(!signature.isValid("not base64!", for: body))
    }

    /// The pads are built by hand, so every key length (short, a whole block, hashed when longer)
    /// must agree with swift-crypto's HMAC, for bodies of every size around a block.
    @Test func signaturesMatchTheLibrarysHMAC() {
        for keyLength in [0, 1, 32, 63, 64, 65, 200] {
            let secret = String((0..<keyLength).map { Character(UnicodeScalar(UInt8(33 + ($0 * 7) % 90))) })
            let signature = WebhookSignature(channelSecret: secret)
            for bodyLength in [0, 1, 55, 56, 64, 65, 4_000] {
                let body = Data((0..<bodyLength).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ keyLength) })
                let expected = Data(HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8))))
                    .base64EncodedString()
                #expect(signature.sign(body) == expected, "key \(keyLength) body \(bodyLength)")
                #expect(signature.isValid(expected, for: body))
                #expect(!signature.isValid(expected, for: body + [0]))
                // A valid prefix of the MAC is not a MAC.
                #expect(!signature.isValid(Data(Data(base64Encoded: expected)!.prefix(16)).base64EncodedString(), for: body))
            }
        }
    }

    @Test func sentWebhooksAreSignedAndFailuresAreRedelivered() async throws {
        let receiver = Receiver(failFirst: 3)
        let (url, task) = try await startReceiver(receiver, secret: "channel_secret")
        let sim = try await SimulatorServer.start(config: SimulatorConfig(seed: 2))
        let plan = TrafficGenerator.plan(TrafficConfig(seed: 2, messages: 30, end: Instant(rfc3339: "2026-11-22T00:00:00Z")!),
                                         simulator: SimulatorConfig(seed: 2))
        let sender = WebhookSender(target: url, channelSecret: "channel_secret", registry: sim.state,
                                   redeliveryRate: 0.2, retryDelay: .milliseconds(10), seed: 2)
        let report = try await sender.send(plan)
        #expect(report.failedAttempts == 3)
        #expect(report.redeliveries == 3)
        #expect(report.gaveUp == 0)
        #expect(report.accepted == plan.deliveries.count)
        #expect(await receiver.badSignatures == 0)
        let bodies = await receiver.bodies
        #expect(bodies.count == plan.deliveries.count + report.extraRedeliveries)
        // Every event arrived; redeliveries carry the flag and the original event id.
        var ids: [String: Int] = [:], redelivered = 0
        for body in bodies {
            for event in try WebhookParser.parse(body).events {
                ids[event.eventId, default: 0] += 1
                if event.isRedelivery { redelivered += 1 }
            }
        }
        #expect(ids.count == report.events)
        #expect(redelivered > 0)
        #expect(await sim.state.stats().messages == plan.messages.count)
        // The wrong secret is refused.
        let wrong = WebhookSender(target: url, channelSecret: "other", registry: sim.state, maxAttempts: 1)
        #expect(await !wrong.post(plan.body(of: plan.deliveries[0])))
        #expect(await receiver.badSignatures == 1)
        await task.stop()
        await sim.stop()
    }
}
