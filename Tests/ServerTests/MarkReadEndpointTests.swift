import AsyncHTTPClient
import AuditTrail
import Foundation
@testable import Ledger
import LedgerTestSupport
import LINE
@testable import LINEClient
@testable import LINESimulator
import Logging
import NIOCore
import ReadReceipts
import Server
import ServerTestSupport
import ServiceLifecycle
@testable import Sweep
import Store
import TalkVaultDomain
import Testing
import TestSupport

@Suite struct MarkReadEndpointTests {
    @Test func theEndpointNeedsItsTokenAndMarksWhatItIsGiven() async throws {
        let dir = TempDir()
        let ledgerPath = dir.file("data/ledger.sqlite3")
        var settings = ServerSettings(host: "127.0.0.1", port: 0, channelSecret: ServerHarness.secret, ledgerPath: ledgerPath,
                                      policy: .lineDefaults, timeZone: TimeZone(identifier: "Asia/Tokyo")!)
        settings.apiToken = Secret("desk-token")
        settings.audit = AuditLog(dataDir: dir.file("data"))
        settings.channels.append(WebhookChannel(name: "shop-b", webhookPath: "/webhook/shop-b", secret: "shop-b-secret"))
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let app = try WebhookServer.buildApplication(settings: settings, clock: FixedClock(LedgerHarness.now), logger: logger) {
            continuation.yield($0)
            continuation.finish()
        }
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let task = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        let url = "http://127.0.0.1:\(await iterator.next() ?? 0)"
        let body = Webhook.body([Webhook.text("m1", "hi", eventId: "e1", at: 1_000), Webhook.text("m2", "yo", eventId: "e2", at: 2_000)])
        var webhook = HTTPClientRequest(url: url + "/webhook")
        webhook.method = .POST
        webhook.body = .bytes(ByteBuffer(bytes: body))
        webhook.headers.add(name: "x-line-signature", value: WebhookSignature(channelSecret: ServerHarness.secret).sign(body))
        #expect(try await HTTPClient.shared.execute(webhook, timeout: .seconds(10)).status == .ok)

        func post(_ json: String, token: String?) async throws -> (Int, String) {
            var request = HTTPClientRequest(url: url + "/api/v1/mark-read")
            request.method = .POST
            request.body = .bytes(ByteBuffer(string: json))
            if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
            return (Int(response.status.code), text)
        }
        #expect(try await post(#"{"message_ids":["m1"],"by":"desk"}"#, token: nil).0 == 401)
        #expect(try await post(#"{"message_ids":["m1"],"by":"desk"}"#, token: "wrong").0 == 401)
        #expect(try await post(#"{"by":"desk"}"#, token: "desk-token").0 == 400)
        #expect(try await post("not json", token: "desk-token").0 == 400)
        let (status, answer) = try await post(#"{"message_ids":["m1","zz"],"by":"desk"}"#, token: "desk-token")
        #expect(status == 200)
        var audited: [AuditEntry] = []
        try AuditLog(dataDir: dir.file("data")).entries { audited.append($0) }
        #expect(audited.map(\.action) == ["mark-read"] && audited.first?.who == "api-token (by desk)" && audited.first?.target == ["m1", "zz"],
                "only the call that marked is recorded, under the token's name")
        #expect(answer.contains(#""marked":["m1"]"#) && answer.contains(#""unknown":["zz"]"#))
        let (_, byChat) = try await post(#"{"chat_id":"Uuser1","until":"2030-01-01T00:00:00Z","by":"desk"}"#, token: "desk-token")
        #expect(byChat.contains(#""marked":["m2"]"#) && byChat.contains(#""already_read":["m1"]"#))
        // A chat with nothing to mark is a bad request, as an empty list of ids is.
        let (nothing, why) = try await post(#"{"chat_id":"Unobody","until":"2030-01-01T00:00:00Z","by":"desk"}"#, token: "desk-token")
        #expect(nothing == 400 && why.contains("no messages to mark"))
        #expect(try await post(#"{"message_ids":[],"by":"desk"}"#, token: "desk-token").0 == 400)
        // The same user writes to another account of the provider: the chat id is in two
        // channels now, and marking it needs the channel.
        let other = Webhook.body([Webhook.text("b1", "to B", eventId: "eb1", at: 3_000)])
        var toB = HTTPClientRequest(url: url + "/webhook/shop-b")
        toB.method = .POST
        toB.body = .bytes(ByteBuffer(bytes: other))
        toB.headers.add(name: "x-line-signature", value: WebhookSignature(channelSecret: "shop-b-secret").sign(other))
        #expect(try await HTTPClient.shared.execute(toB, timeout: .seconds(10)).status == .ok)
        // (The body is applied in the background, just after its 200.)
        var (twice, which) = try await post(#"{"chat_id":"Uuser1","until":"2030-01-01T00:00:00Z","by":"desk"}"#, token: "desk-token")
        for _ in 0..<50 where twice != 400 {
            try await Task.sleep(for: .milliseconds(100))
            (twice, which) = try await post(#"{"chat_id":"Uuser1","until":"2030-01-01T00:00:00Z","by":"desk"}"#, token: "desk-token")
        }
        #expect(twice == 400 && which.contains("several channels") && which.contains("default, shop-b"), "\(which)")
        let (one, onlyB) = try await post(#"{"chat_id":"Uuser1","channel":"shop-b","until":"2030-01-01T00:00:00Z","by":"desk"}"#, token: "desk-token")
        #expect(one == 200 && onlyB.contains(#""marked":["b1"]"#) && onlyB.contains(#""already_read":[]"#), "\(onlyB)")
        // Another process holding the ledger past the busy timeout: 503 with a Retry-After, not a bare 500.
        let holder = try SQLiteHolder(path: ledgerPath)
        var busy = HTTPClientRequest(url: url + "/api/v1/mark-read")
        busy.method = .POST
        busy.body = .bytes(ByteBuffer(string: #"{"message_ids":["m2"],"by":"desk"}"#))
        busy.headers.add(name: "Authorization", value: "Bearer desk-token")
        let refused = try await HTTPClient.shared.execute(busy, timeout: .seconds(30))
        holder.release()
        #expect(refused.status == .serviceUnavailable)
        #expect(refused.headers.first(name: "Retry-After") == "5")
        await group.triggerGracefulShutdown()
        _ = await task.result
        let ledger = try Ledger.opened(path: ledgerPath, policy: .lineDefaults, create: false)
        #expect(try ledger.rows("SELECT read_by FROM messages WHERE read_at_ms IS NOT NULL").count == 3)
    }
}
