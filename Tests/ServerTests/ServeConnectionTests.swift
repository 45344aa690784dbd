import Foundation
import LINE
import Ledger
import Server
import Store
import TalkVaultDomain
import Testing
import ServerTestSupport
import TestSupport

/// Connections that would hold `serve` hostage: idle ones, headers that never end, bodies that
/// stop or trickle, and broken chunking. Each is closed or answered, and LINE still gets in.
@Suite struct ServeConnectionTests {
    static func metric(_ metrics: String, _ outcome: String) -> String? {
        metrics.split(separator: "\n").first { $0.hasPrefix("talkvault_webhook_requests_total{outcome=\"\(outcome)\"}") }
            .map { String($0.split(separator: " ").last!) }
    }

    @Test func aMalformedChunkIsA400OfItsOwnNotTooLarge() async throws {
        let server = try await ServerHarness.start(mode: .live)
        let good = Webhook.body([Webhook.text("m1", "hello", eventId: "e1", at: 1_790_000_000_000)])
        // Chunked and well formed: stored.
        let ok = try RawConnection(port: server.port)
        ok.send(ServerHarness.signedRequest(good, chunked: true))
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
        let server = try await ServerHarness.start(mode: .live) { settings in
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

}
