import Foundation
@testable import LINE
@testable import LINESimulator
import ServerTestSupport
import Store
import TalkVaultDomain
import Testing
import TestSupport

/// `serve` refuses a body with broken UTF-8 with 400, before storing anything.
@Suite struct ServerUTF8Tests {
    @Test func aBodyWithBrokenUTF8Gets400WithItsPositionAndStoresNothing() async throws {
        let server = try await ServerHarness.start()
        let good = Webhook.body([Webhook.text("m1", "ok", eventId: "e1", at: 1_790_000_000_000)])
        #expect(try await server.request(body: good).0 == 200)
        let before = try server.counts()
        // "秘密" with its last byte cut off, then more text: answered 200 and stored as U+FFFD before.
        var bytes = Array(Webhook.body([Webhook.text("m2", "秘密です", eventId: "e2", at: 1_790_000_000_000)]))
        let at = try #require(bytes.firstRange(of: Array("密".utf8))).lowerBound
        bytes.remove(at: at + 2)
        let (status, answer) = try await server.request(body: Data(bytes))
        #expect(status == 400)
        #expect(answer.contains("invalid UTF-8 at byte offset \(at)"), "\(answer)")
        #expect(answer.contains("line 1, column"))
        #expect(!answer.contains("秘"))
        #expect(try server.counts() == before)
        #expect(server.metrics.render().contains(#"talkvault_webhook_requests_total{outcome="malformed"} 1"#))
        #expect(try await server.request(.GET, "/healthz").0 == 200)
        await server.stop()
    }
}
