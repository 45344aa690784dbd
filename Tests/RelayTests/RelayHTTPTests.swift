import Foundation
import Hummingbird
@testable import InboxLog
import LINE
import LedgerTestSupport
import Logging
import NIOCore
@testable import Relay
import ServiceLifecycle
import Store
import TalkVaultDomain
import Testing
import TestSupport

/// A downstream tool that verifies LINE's signature with the channel secret, as an extension
/// tool does, and keeps what it accepted.
final class VerifyingDownstream: @unchecked Sendable {
    private let lock = NSLock()
    private var accepted: [[UInt8]] = []
    private var relayedHeaders: [String] = []
    private var hugeWritten = 0
    /// How much of /huge's 64 MiB answer got out before the client stopped reading.
    var hugeBytesWritten: Int { lock.withLock { hugeWritten } }
    private(set) var port = 0
    private var running: RunningGroup?

    var bodies: [[UInt8]] { lock.withLock { accepted } }
    var relayedMarks: [String] { lock.withLock { relayedHeaders } }

    func start() async throws {
        let router = Router()
        let signature = WebhookSignature(channelSecret: RelayHarness.secret)
        router.post("/hook") { request, _ -> HTTPResponse.Status in
            let body = try await request.body.collect(upTo: 1 << 20)
            let bytes = Array(body.readableBytesView)
            guard signature.isValid(request.headers[.init("x-line-signature")!], for: bytes) else { return .unauthorized }
            self.lock.withLock {
                self.accepted.append(bytes)
                self.relayedHeaders.append(request.headers[.init("X-TalkVault-Relayed")!] ?? "")
            }
            return .ok
        }
        router.post("/redirect") { _, _ in Response(status: .movedPermanently, headers: [.location: "/hook"]) }
        // Far more than the relay reads of an answer, in small pieces.
        router.post("/huge") { _, _ in
            Response(status: .ok, body: ResponseBody { writer in
                for _ in 0..<1_024 {
                    try await writer.write(ByteBuffer(repeating: 0x20, count: 64 << 10))
                    self.lock.withLock { self.hugeWritten += 64 << 10 }
                }
                try await writer.finish(nil)
            })
        }
        // Headers at once, then a body that never comes.
        router.post("/stall") { _, _ in
            Response(status: .ok, body: ResponseBody { writer in
                try await writer.write(ByteBuffer(repeating: 0x20, count: 1))
                try await Task.sleep(for: .seconds(3))
                try await writer.finish(nil)
            })
        }
        router.post("/hang") { _, _ -> HTTPResponse.Status in
            try await Task.sleep(for: .seconds(3))
            return .ok
        }
        let ready = AsyncStream<Int>.makeStream()
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in ready.continuation.yield(channel.localAddress?.port ?? 0) },
                              logger: Logger(label: "downstream"))
        running = RunningGroup(app)
        for await port in ready.stream { self.port = port; break }
    }

    func stop() async { await running?.stop() }
}

@Suite struct RelayHTTPTests {
    /// The exact bytes reach a downstream that checks LINE's signature, each once, in order,
    /// marked as relayed.
    @Test func aVerifyingDownstreamGetsEveryBodyByteForByteInOrder() async throws {
        let downstream = VerifyingDownstream()
        try await downstream.start()
        let h = try RelayHarness()
        let transport = HTTPRelayTransport()
        // A generous timeout: on a loaded machine an answer that comes late is sent again
        // (at least once), which is right, but not what this test is about.
        let relay = h.relay(transport, url: "http://127.0.0.1:\(downstream.port)/hook", timeout: RetentionDuration(seconds: 60))
        try relay.prepare()
        let sent = try h.append(20) + h.append(5, from: 20)
        try await RelayHarness.run(relay) { (try? h.state().delivered) == 25 }
        await downstream.stop()
        if try h.state().retried == 0 {
            #expect(downstream.bodies == sent)
        } else {
            // A retried body may arrive twice, never out of order.
            #expect(downstream.bodies.reduce(into: [[UInt8]]()) { if $0.last != $1 { $0.append($1) } } == sent)
        }
        #expect(downstream.relayedMarks.allSatisfy { $0 == "1" })
        #expect(try h.state().refused == 0, "every signature verified")
    }

    /// What a hostile or broken target gets: a bounded wait and a bounded read, and an answer
    /// the rules retry (a redirect is not followed, a huge answer is cut, a hang times out).
    @Test func brokenTargetsGetABoundedWaitAndABoundedRead() async throws {
        let downstream = VerifyingDownstream()
        try await downstream.start()
        let transport = HTTPRelayTransport()
        let base = "http://127.0.0.1:\(downstream.port)"
        let one = RetentionDuration(seconds: 1)
        #expect(await transport.post([0x7B, 0x7D], headers: [], to: "http://127.0.0.1:9/hook", timeout: one) != .status(200),
                "a refused connection is no answer")
        if case .failed = await transport.post([0x7B, 0x7D], headers: [], to: "http://127.0.0.1:9/hook", timeout: one) {} else {
            Issue.record("a refused connection must fail")
        }
        #expect(await transport.post([], headers: [], to: base + "/redirect", timeout: one) == .status(301))
        #expect(await transport.post([], headers: [], to: base + "/huge", timeout: RetentionDuration(seconds: 10)) == .status(200))
        #expect(downstream.hugeBytesWritten < 32 << 20, "the relay stopped reading the huge answer: \(downstream.hugeBytesWritten) bytes went out")
        #expect(await transport.post([], headers: [], to: base + "/hang", timeout: one) == .failed("timed out"))
        #expect(await transport.post([], headers: [], to: base + "/stall", timeout: one) == .failed("timed out"),
                "headers, then nothing: the one deadline covers the body too")
        await transport.shutdown()
        await downstream.stop()
    }
}
