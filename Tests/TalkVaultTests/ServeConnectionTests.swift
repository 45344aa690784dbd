import Foundation
import LINE
import Ledger
import Store
import Server
import TalkVaultDomain
import Testing

/// Connections that would hold `serve` hostage: idle ones, headers that never end, bodies that
/// stop or trickle, and broken chunking. Each is closed or answered, and LINE still gets in.
@Suite struct ServeConnectionTests {
    static func signedRequest(_ body: Data, chunked: Bool = false) -> String {
        let signature = WebhookSignature(channelSecret: ServerHarness.secret).sign(body)
        let text = String(decoding: body, as: UTF8.self)
        if chunked {
            return "POST /webhook HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\nx-line-signature: \(signature)\r\n\r\n"
                + String(body.count, radix: 16) + "\r\n" + text + "\r\n0\r\n\r\n"
        }
        return "POST /webhook HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: \(body.count)\r\nx-line-signature: \(signature)\r\n\r\n" + text
    }

    static func metric(_ metrics: String, _ outcome: String) -> String? {
        metrics.split(separator: "\n").first { $0.hasPrefix("talkvault_webhook_requests_total{outcome=\"\(outcome)\"}") }
            .map { String($0.split(separator: " ").last!) }
    }

    @Test func aMalformedChunkIsA400OfItsOwnNotTooLarge() async throws {
        let server = try await ServerHarness.start()
        let good = Webhook.body([Webhook.text("m1", "hello", eventId: "e1", at: 1_790_000_000_000)])
        // Chunked and well formed: stored.
        let ok = try RawConnection(port: server.port)
        ok.send(Self.signedRequest(good, chunked: true))
        #expect(await ok.received(seconds: 5).text.hasPrefix("HTTP/1.1 200"))
        // A chunk size that is not hexadecimal.
        let broken = try RawConnection(port: server.port)
        broken.send("POST /webhook HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nx-line-signature: abc\r\n\r\nZZZ\r\nhello\r\n0\r\n\r\n")
        let answer = await broken.received(seconds: 5)
        #expect(answer.text.hasPrefix("HTTP/1.1 400"), "\(answer.text)")
        #expect(answer.text.contains("could not be read"))
        #expect(answer.closed)
        let metrics = try await server.request(.GET, "/metrics").1
        #expect(Self.metric(metrics, "unreadable") == "1")
        #expect(Self.metric(metrics, "too_large") == "0")
        #expect(Self.metric(metrics, "stored") == "1")
        // The server is up and stored only the good body.
        #expect(try await server.request(.GET, "/healthz").0 == 200)
        #expect(try await server.appliedByTheServer())
        #expect(try server.counts()["raw_events"] == 1)
        await server.stop()
    }

    @Test func idleSlowAndTricklingConnectionsAreClosedAndTheServerGoesOn() async throws {
        let server = try await ServerHarness.start { settings in
            settings.idleTimeout = .seconds(1)
            settings.readTimeout = .seconds(1)
        }
        let idle = try RawConnection(port: server.port)
        let headersNeverEnd = try RawConnection(port: server.port)
        headersNeverEnd.send("POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Le")
        let bodyShort = try RawConnection(port: server.port)
        bodyShort.send("POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\nx-line-signature: abc\r\n\r\n{\"events\": [")
        let trickle = try RawConnection(port: server.port)
        trickle.send("POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 400\r\nx-line-signature: abc\r\n\r\n")
        // A byte every 200 ms: never idle for a second, never done in one.
        trickle.trickle(" ", every: 0.2, times: 100)
        for (name, connection) in [("idle", idle), ("headers", headersNeverEnd), ("short body", bodyShort)] {
            let answer = await connection.received(seconds: 15)
            #expect(answer.closed, "the \(name) connection was not closed")
        }
        let trickled = await trickle.received(seconds: 15)
        #expect(trickled.text.hasPrefix("HTTP/1.1 408"), "\(trickled.text)")
        #expect(trickled.closed)
        let body = Webhook.body([Webhook.text("m1", "hello", eventId: "e1", at: 1_790_000_000_000)])
        #expect(try await server.request(body: body).0 == 200)
        #expect(try await server.appliedByTheServer())
        #expect(try server.counts()["raw_events"] == 1)
        let metrics = try await server.request(.GET, "/metrics").1
        #expect(Self.metric(metrics, "timeout") == "1")
        await server.stop()
    }

    /// The binary under a lowered open-files limit, flooded with idle and slow connections: once
    /// the idle timeout closes them, LINE's request gets its 200.
    @Test func hundredsOfIdleConnectionsUnderALowLimitDoNotLockLINEOut() async throws {
        guard let prlimit = which("prlimit") else {
            Issue.record("prlimit (util-linux) is not installed")
            return
        }
        let dir = TempDir()
        let yaml = try String(contentsOfFile: "\(Fixtures.packageRoot)/retention.yaml", encoding: .utf8)
            .replacingOccurrences(of: "idle_timeout: 60s", with: "idle_timeout: 1s")
        try yaml.write(toFile: dir.file("retention.yaml"), atomically: true, encoding: .utf8)
        let port = try freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: prlimit)
        process.arguments = ["--nofile=128:128", CLITests.binary, "serve", "--port", "\(port)", "--data-dir", dir.file("data"),
                             "--config", dir.file("retention.yaml")]
        var env = ProcessInfo.processInfo.environment
        env["TALKVAULT_CHANNEL_SECRET"] = ServerHarness.secret
        env.removeValue(forKey: "CREDENTIALS_DIRECTORY")
        env.removeValue(forKey: "TALKVAULT_ACCESS_TOKEN")
        process.environment = env
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate(); process.waitUntilExit() } }
        var up = false
        for _ in 0..<300 where !up {
            try await Task.sleep(for: .milliseconds(20))
            up = (try? RawConnection(port: port)) != nil
        }
        #expect(up)
        // Three hundred idle connections and twenty slow ones: more than the process may hold.
        var flood: [RawConnection] = []
        for index in 0..<320 {
            guard let connection = try? RawConnection(port: port) else { continue }
            if index % 16 == 0 { connection.send("POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 900\r\n\r\n{") }
            flood.append(connection)
        }
        #expect(flood.count > 128, "the flood should exceed the server's limit")
        let body = Webhook.body([Webhook.text("m1", "from LINE", eventId: "e1", at: 1_790_000_000_000)])
        var status: Int?
        for _ in 0..<20 where status != 200 {
            status = (try? await ServeBinaryTests.post(body, to: "http://127.0.0.1:\(port)", timeout: 5)).map { Int($0.code) }
        }
        #expect(status == 200, "LINE's request was never answered while the flood held the server's descriptors")
        #expect(process.isRunning)
        flood.removeAll()
        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let ledger = try Ledger.opened(path: dir.file("data/ledger.sqlite3"), policy: .lineDefaults, create: false)
        #expect(try ledger.searchStore.message(id: "m1") != nil)
    }
}
