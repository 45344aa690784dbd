import AsyncHTTPClient
import Foundation
import Hummingbird
import LINE
import Logging
import NIOCore
import ServerTestSupport
import ServiceLifecycle
import TalkVaultDomain
import Testing
import TestSupport

/// A downstream extension tool: it verifies LINE's signature with the channel secret, as such
/// tools do, and keeps every body it accepted in arrival order.
final class SignatureCheckingTool: @unchecked Sendable {
    private let lock = NSLock()
    private var accepted: [Data] = []
    private(set) var port = 0
    private var running: RunningGroup?

    var bodies: [Data] { lock.withLock { accepted } }

    func start() async throws {
        let router = Router()
        let signature = WebhookSignature(channelSecret: ServerHarness.secret)
        router.post("/hook") { request, _ -> HTTPResponse.Status in
            let body = Data(try await request.body.collect(upTo: 1 << 20).readableBytesView)
            guard signature.isValid(request.headers[.init("x-line-signature")!], for: body),
                  request.headers[.userAgent] == "LineBotWebhook/2.0" else { return .unauthorized }
            self.lock.withLock { self.accepted.append(body) }
            return .ok
        }
        let ready = AsyncStream<Int>.makeStream()
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { ready.continuation.yield($0.localAddress?.port ?? 0) }, logger: Logger(label: "tool"))
        running = RunningGroup(app)
        for await port in ready.stream { self.port = port; break }
    }

    func stop() async { await running?.stop() }
}

/// `serve` relays to the tool that had the webhook URL before, from the built binary.
@Suite struct RelayBinaryTests {
    /// Every body `serve` acknowledged reaches a tool that verifies LINE's signature, byte for
    /// byte and in order, across a `kill -9` of `serve` while relaying; a crash can repeat at
    /// most the one body that was being sent.
    @Test func everyAcknowledgedBodyReachesTheToolAcrossAKill9() async throws {
        let tool = SignatureCheckingTool()
        try await tool.start()
        let dir = TempDir()
        let shipped = try String(contentsOfFile: "\(Fixtures.packageRoot)/retention.yaml", encoding: .utf8)
        let config = dir.write("retention.yaml", shipped + "\nrelay:\n  - name: tool\n    url: http://127.0.0.1:\(tool.port)/hook\n")
        let dataDir = dir.file("data")
        func bodies(_ range: Range<Int>) -> [Data] {
            range.map { Webhook.body([Webhook.text("m\($0)", "予約 \($0)", eventId: "e\($0)", at: 1_790_000_000_000 + Int64($0))]) }
        }
        let first = bodies(0..<60), second = bodies(60..<100)

        var (serve, url, _) = try ServeBinaryTests.startServe(dataDir: dataDir, config: config)
        for body in first { #expect(try await ServeBinaryTests.post(body, to: url) == .ok) }
        kill(serve.processIdentifier, SIGKILL)
        serve.waitUntilExit()
        (serve, url, _) = try ServeBinaryTests.startServe(dataDir: dataDir, config: config)
        for body in second { #expect(try await ServeBinaryTests.post(body, to: url) == .ok) }
        let deadline = ContinuousClock.now + .seconds(60)
        while Set(tool.bodies).count < 100, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        serve.terminate()
        serve.waitUntilExit()
        await tool.stop()

        let received = tool.bodies
        #expect(Set(received) == Set(first + second), "every acknowledged body, and only those")
        // In order: dropping repeats leaves exactly the order LINE's bodies were acknowledged in.
        var seen = Set<Data>(), inOrder: [Data] = []
        for body in received where seen.insert(body).inserted { inOrder.append(body) }
        #expect(inOrder == first + second)
        #expect(received.count - inOrder.count <= 1, "a crash repeats at most the body being sent")

        let status = try CLITests().talkvault(["relay", "status", "--json", "--data-dir", dataDir, "--config", config])
        #expect(status.status == 0, "\(status.stderr)")
        let targets = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [[String: Any]])
        #expect(targets.first?["name"] as? String == "tool" && targets.first?["lag_bodies"] as? Int == 0)
        #expect((targets.first?["delivered"] as? Int ?? 0) >= 100)
    }

    /// A tool that is down: `serve` answers LINE at once all the same, the bodies wait in the
    /// log (status shows the lag and the retry), and `relay retry` of an unknown target is a usage error.
    @Test func aDownToolHoldsBackNobody() async throws {
        let dir = TempDir()
        let shipped = try String(contentsOfFile: "\(Fixtures.packageRoot)/retention.yaml", encoding: .utf8)
        // Port 9: nothing listens there on a test machine.
        let config = dir.write("retention.yaml", shipped + "\nrelay:\n  - name: down\n    url: http://127.0.0.1:9/hook\n    timeout: 1s\n")
        let dataDir = dir.file("data")
        let (serve, url, _) = try ServeBinaryTests.startServe(dataDir: dataDir, config: config)
        for n in 0..<20 {
            let body = Webhook.body([Webhook.text("d\(n)", "本文", eventId: "de\(n)", at: 1_790_000_000_000 + Int64(n))])
            #expect(try await ServeBinaryTests.post(body, to: url, timeout: 5) == .ok)
        }
        let cli = CLITests()
        var status = try cli.talkvault(["relay", "status", "--data-dir", dataDir, "--config", config])
        let deadline = ContinuousClock.now + .seconds(20)
        while !status.stdout.contains("failing since"), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
            status = try cli.talkvault(["relay", "status", "--data-dir", dataDir, "--config", config])
        }
        // The gauges say how far behind the target is, while it is down.
        // (Recounted at each retry, which backs off: polled, not read once.)
        var scraped = ""
        let scrapeDeadline = ContinuousClock.now + .seconds(30)
        repeat {
            var metrics = HTTPClientRequest(url: url + "/metrics")
            metrics.method = .GET
            scraped = String(buffer: try await HTTPClient.shared.execute(metrics, timeout: .seconds(10)).body.collect(upTo: 1 << 20))
            if scraped.contains(#"talkvault_relay_lag_bodies{target="down"} 20"#) { break }
            try await Task.sleep(for: .milliseconds(200))
        } while ContinuousClock.now < scrapeDeadline
        #expect(scraped.contains(#"talkvault_relay_lag_bodies{target="down"} 20"#), "\(scraped.split(separator: "\n").filter { $0.contains("relay") })")
        #expect(scraped.contains(#"talkvault_relay_delivered_total{target="down"} 0"#))
        serve.terminate()
        serve.waitUntilExit()
        #expect(serve.terminationStatus == 0, "a SIGTERM ends serve while a target is down")
        // TARGET POSITION LAG …: twenty bodies behind.
        let row = status.stdout.split(separator: "\n").first { $0.hasPrefix("down ") }?.split(separator: " ").map(String.init)
        #expect(status.status == 0 && row?[2] == "20", "\(status.stdout)\(status.stderr)")
        #expect(status.stdout.contains("failing since"), "\(status.stdout)")
        let unknown = try cli.talkvault(["relay", "retry", "nosuch", "--data-dir", dataDir, "--config", config])
        #expect(unknown.status == 64 && unknown.stderr.contains("known: down"), "\(unknown.stderr)")
        let badSince = try cli.talkvault(["relay", "retry", "down", "--since", "yesterday-ish", "--data-dir", dataDir, "--config", config])
        #expect(badSince.status == 64 && badSince.stderr.contains("--since"), "\(badSince.stderr)")
        let retry = try cli.talkvault(["relay", "retry", "down", "--data-dir", dataDir, "--config", config])
        #expect(retry.status == 0 && retry.stdout.contains("queued 0 dead letters"), "\(retry.stdout)\(retry.stderr)")
    }
}
