import AsyncHTTPClient
import Foundation
import Hummingbird
import LINE
import LINESimulator
import Intake
import Ledger
import Logging
import NIOCore
import NIOHTTP1
import Server
import ServiceLifecycle
import Store
import TalkVaultDomain
import Testing
import LedgerTestSupport
import ServerTestSupport
import TestSupport

@Suite struct ServerTests {
    @Test func theConformanceFixtureIsStoredOverHTTP() async throws {
        let server = try await ServerHarness.start(mode: .live)
        let (status, _) = try await server.request(body: try Fixtures.uniqueConformanceData())
        #expect(status == 200)
        #expect(try await server.appliedByTheServer())
        let metrics = try await server.request(.GET, "/metrics").1
        #expect(metrics.contains("talkvault_events_stored_total 27"))
        #expect(metrics.contains("talkvault_inbox_applied_bodies_total 1"))
        #expect(metrics.contains("talkvault_inbox_bodies 0"))
        let counts = try server.counts()
        #expect(counts["raw_events"] == 27)
        #expect(counts["messages"] == 11)
        // As is, with its reused event id: answered 200, applied, and counted as conflicts.
        #expect(try await server.request(body: try Fixtures.conformanceData()).0 == 200)
        #expect(try await server.request(.GET, "/healthz").0 == 200)
        await server.stop()
    }

    @Test func everyRejectionLeavesTheLedgerUntouchedAndTheServerUp() async throws {
        let server = try await ServerHarness.start(maxBody: 4_096)
        let good = Webhook.body([Webhook.text("m1", "ok", eventId: "e1", at: 1_790_000_000_000)])
        #expect(try await server.request(body: good).0 == 200)
        let before = try server.counts()

        #expect(try await server.request(body: good, signature: "AAAA").0 == 401)
        #expect(try await server.request(body: good, sign: false).0 == 401)
        #expect(try await server.request(body: good, signature: WebhookSignature(channelSecret: "other").sign(good)).0 == 401)
        let malformed = Data("{\"events\": [ 秘密".utf8)
        let (status400, message) = try await server.request(body: malformed)
        #expect(status400 == 400)
        #expect(!message.contains("秘密"))
        #expect(try await server.request(body: Data(repeating: 0x20, count: 5_000)).0 == 413)
        #expect(try await server.request(body: good, signature: nil).0 == 200, "a true redelivery is fine")
        #expect([404, 405].contains(try await server.request(.GET, "/webhook").0))
        #expect(try await server.request(.POST, "/elsewhere", body: good).0 == 404)
        #expect(try await server.request(body: Data("{\"destination\":\"U\",\"events\":[]}".utf8)).0 == 200)

        #expect(try server.counts() == before)
        #expect(try await server.request(.GET, "/healthz").0 == 200)
        let metrics = try await server.request(.GET, "/metrics").1
        #expect(metrics.contains(#"talkvault_webhook_requests_total{outcome="bad_signature"} 3"#))
        #expect(metrics.contains(#"talkvault_webhook_requests_total{outcome="malformed"} 1"#))
        #expect(metrics.contains(#"talkvault_webhook_requests_total{outcome="too_large"} 1"#))
        #expect(metrics.contains("talkvault_ledger_messages 1"))
        #expect(metrics.contains(#"talkvault_webhook_request_duration_seconds_bucket{le="0.00025"}"#), "sub-millisecond buckets")
        let value = { (name: String) -> Double? in
            metrics.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ")[1]) }
        }
        // Not every one: a request that comes while the writer applies queues for it instead.
        #expect((value("talkvault_commits_on_caller_total") ?? 0) >= 1, "one request at a time commits on its own thread")
        #expect((value("talkvault_commit_duration_seconds_count") ?? 0) >= (value("talkvault_commits_on_caller_total") ?? 0))
        // A signature sent twice is not one signature, even when both copies are right.
        #expect(try await server.request(body: good, signatureTimes: 2).0 == 401)
        #expect(try server.counts() == before)
        await server.stop()
    }

    /// A body a TalkVault relayed, coming back to this webhook, is a relay loop: refused, and
    /// nothing stored, however well it is signed.
    @Test func aRelayedBodyComingBackIsRefusedSoALoopEnds() async throws {
        let server = try await ServerHarness.start()
        let body = Webhook.body([Webhook.text("loop1", "本文", eventId: "loop-e1", at: 1_790_000_000_000)])
        let (status, answer) = try await server.request(body: body, headers: [("X-TalkVault-Relayed", "1")])
        #expect(status == 400 && answer.contains("relay target points at this webhook"), "\(answer)")
        #expect(try await server.request(body: body).0 == 200, "the same body from LINE is taken")
        await server.stop()
    }

    @Test func aFailedAppendGets500AndTheServerGoesOn() async throws {
        let server = try await ServerHarness.start(segmentBytes: 8 * 1024)
        let inbox = server.ledgerPath + "-inbox"
        let fm = FileManager.default
        // Let the background zero-fill finish, then block every way to a new segment: a
        // directory where the prepared one and the one made on the spot would go.
        for _ in 0..<2_000 where !fm.fileExists(atPath: inbox + "/prepared.zero") || fm.fileExists(atPath: inbox + "/preparing.tmp") {
            try await Task.sleep(for: .milliseconds(5))
        }
        try fm.removeItem(atPath: inbox + "/prepared.zero")
        try fm.createDirectory(atPath: inbox + "/prepared.zero/blocked", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: inbox + "/next.tmp", withIntermediateDirectories: true)
        var acknowledged: [Int] = []
        var refused: Int?
        for n in 0..<100 where refused == nil {
            let body = Webhook.body([Webhook.text("m\(n)", "hello \(n)", eventId: "e\(n)", at: 1_790_000_000_000)])
            let (status, answer) = try await server.request(body: body)
            if status == 200 { acknowledged.append(n) } else {
                #expect(status == 500)
                #expect(answer.contains("not stored"))
                refused = n
            }
        }
        let failed = try #require(refused, "the segment filled up without a roll")
        #expect(acknowledged == Array(0..<failed))
        #expect(server.metrics.render().contains(#"talkvault_webhook_requests_total{outcome="failed"} 1"#))
        // Once the way is clear, the same server goes on where it stopped.
        try fm.removeItem(atPath: inbox + "/next.tmp")
        try fm.removeItem(atPath: inbox + "/prepared.zero")
        let again = Webhook.body([Webhook.text("m\(failed)", "hello \(failed)", eventId: "e\(failed)", at: 1_790_000_000_000)])
        #expect(try await server.request(body: again).0 == 200)
        let counts = try server.counts()
        #expect(counts["messages"] == failed + 1)
        #expect(counts["raw_events"] == failed + 1, "the refused body was not half-stored")
        await server.stop()
    }

    @Test func aRedeliveryStormEndsWithOneRowPerMessage() async throws {
        let server = try await ServerHarness.start(mode: .live)
        let simulator = try await SimulatorServer.start(config: SimulatorConfig(seed: 5))
        let plan = TrafficGenerator.plan(TrafficConfig(seed: 5, messages: 120, end: LedgerHarness.now, unsendRate: 0, editRate: 0),
                                         simulator: SimulatorConfig(seed: 5))
        let sender = WebhookSender(target: server.url + "/webhook", channelSecret: ServerHarness.secret,
                                   registry: simulator.state, redeliveryRate: 1, concurrency: 8, seed: 5)
        let report = try await sender.send(plan)
        #expect(report.extraRedeliveries == plan.deliveries.count)
        #expect(report.gaveUp == 0)
        let status = try Ledger.opened(path: server.ledgerPath, policy: .lineDefaults, create: false)
            .statusStore.status(now: LedgerHarness.now, timeZone: TimeZone(identifier: "UTC")!)
        #expect(status.ledger.messages == plan.messages.count)
        #expect(status.ledger.events == report.events)
        #expect(status.ledger.redeliveredEvents == report.events)
        await simulator.stop()
        await server.stop()
    }
}

