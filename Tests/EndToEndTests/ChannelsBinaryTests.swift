import AsyncHTTPClient
import Foundation
import LINE
@testable import LINESimulator
import NIOCore
import TalkVaultDomain
import Testing
import TestSupport

/// Two Official Accounts end to end, with the built binaries: `line-simulator` serves both (each
/// with its own secret, token, bot user id and content), `talkvault serve` captures each on its
/// own path and the shared one, `sweep` downloads each with its own token, `mark-read` tells LINE
/// with the right token, and `export` writes a file per channel.
@Suite struct ChannelsBinaryTests {
    @Test func twoChannelsAreCapturedSweptAndExportedEachWithItsOwnCredentials() async throws {
        let cli = CLITests()
        let sizes = ["--size", "image=800-6000", "--size", "video=800-6000", "--size", "audio=800-4000", "--size", "file=300-4000"]
        let (simulator, sim) = try SimulatorBinaryTests.start(["--channel", "shop-a", "--channel", "shop-b", "--transcode-seconds", "0"] + sizes)
        defer { simulator.terminate() }
        let config = cli.dir.write("retention.yaml", """
            timezone: Asia/Tokyo
            read_state: manual
            line:
              api_base_url: \(sim)
              data_api_base_url: \(sim)
            channels:
              - name: shop-a
              - name: shop-b
            """)
        let a = SimulatedChannel.named("shop-a"), b = SimulatedChannel.named("shop-b")
        let secrets = ["TALKVAULT_CHANNEL_SECRET_SHOP_A": a.channelSecret, "TALKVAULT_CHANNEL_SECRET_SHOP_B": b.channelSecret,
                       "TALKVAULT_ACCESS_TOKEN_SHOP_A": a.accessToken, "TALKVAULT_ACCESS_TOKEN_SHOP_B": b.accessToken]
        let dataDir = cli.dir.file("data")
        let (serve, url, _) = try ServeBinaryTests.startServe(dataDir: dataDir, environment: secrets, config: config)
        #expect(url.hasPrefix("http://"))

        // shop-a on its own path; shop-b on the shared path, routed by the destination serve
        // learned from /v2/bot/info with shop-b's token.
        let end = SystemClock().now().adding(RetentionDuration(seconds: -600)).rfc3339(in: TimeZone(identifier: "UTC")!)
        func send(_ channel: String, to path: String, seed: Int) throws -> ProcessResult {
            try run(SimulatorBinaryTests.binary, ["send", "--channel", channel, "--target", url + path, "--simulator", sim, "--messages", "24",
                                                   "--period", "1h", "--end", end, "--seed", "\(seed)", "--unsend-rate", "0"] + sizes)
        }
        var sentB = try send("shop-b", to: "/webhook", seed: 5)
        for _ in 0..<50 where sentB.status != 0 {
            // Until bot info has answered, the shared path does not know shop-b (401, retried by send).
            try await Task.sleep(for: .milliseconds(100))
            sentB = try send("shop-b", to: "/webhook", seed: 5)
        }
        #expect(sentB.status == 0, "\(sentB.stdout)\(sentB.stderr)")
        let sentA = try send("shop-a", to: "/webhook/shop-a", seed: 5)
        #expect(sentA.status == 0, "\(sentA.stdout)\(sentA.stderr)")

        // A body signed for shop-a on shop-b's path: 401, nothing stored.
        let forged = Webhook.body([Webhook.text("forged-1", "x", eventId: "forged-e", at: SystemClock().now().milliseconds)],
                                  destination: b.destination)
        var request = HTTPClientRequest(url: url + "/webhook/shop-b")
        request.method = .POST
        request.headers.add(name: "x-line-signature", value: WebhookSignature(channelSecret: a.channelSecret).sign(forged))
        request.body = .bytes(ByteBuffer(bytes: forged))
        #expect(try await HTTPClient.shared.execute(request, timeout: .seconds(10)).status == .unauthorized)
        serve.terminate()
        serve.waitUntilExit()

        let now = ["TALKVAULT_NOW": ""]
        let common = ["--data-dir", dataDir, "--config", config]
        func count(_ channel: String) throws -> Int {
            Int(try cli.talkvault(["find", "--count", "--channel", channel] + common, environment: now).stdout
                .trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        }
        #expect(try count("shop-a") == 24 && count("shop-b") == 24)
        #expect(try cli.talkvault(["find", "--count", "--id", "forged-1"] + common, environment: now).stdout.hasPrefix("0"))

        let sweep = try cli.talkvault(["sweep", "--json"] + common, environment: now.merging(secrets) { $1 })
        #expect([0, 3].contains(sweep.status), "\(sweep.stderr)")
        let stats = try #require(try await Self.stats(sim)["channels"] as? [String: [String: Any]])
        let requestsA = stats["shop-a"]?["requests"] as? Int ?? 0, requestsB = stats["shop-b"]?["requests"] as? Int ?? 0
        #expect(requestsA > 0 && requestsB > 0, "each channel swept with its own token: \(stats)")
        #expect(stats["default"]?["requests"] as? Int == 0, "the default channel's token was never used")
        let pending = try cli.talkvault(["find", "--count", "--state", "received,content_due,downloaded"] + common, environment: now)
        #expect(pending.stdout.hasPrefix("0"), "every content item reached its end")

        // Read one message of each channel: markAsRead goes to LINE with that channel's token.
        func firstId(_ channel: String) throws -> (id: String, sentAt: String) {
            let line = try #require(try cli.talkvault(["find", "--json", "--limit", "1", "--channel", channel, "--kind", "text"] + common,
                                                      environment: now).stdout.split(separator: "\n").first)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["channel"] as? String == channel)
            return (object["id"] as! String, object["sent_at"] as! String)
        }
        let readA = try firstId("shop-a"), readB = try firstId("shop-b")
        let marked = try cli.talkvault(["mark-read", "--json", readA.id, readB.id] + common, environment: now.merging(secrets) { $1 })
        #expect(marked.status == 0, "\(marked.stderr)")
        let after = try #require(try await Self.stats(sim)["channels"] as? [String: [String: Any]])
        #expect(after["shop-a"]?["mark_as_read"] as? Int == 1 && after["shop-b"]?["mark_as_read"] as? Int == 1, "\(after)")

        // One export per channel for the week of the read messages, each with its own rows.
        let zone = TimeZone(identifier: "Asia/Tokyo")!
        let week = ISOWeek.containing(Instant(rfc3339: readA.sentAt)!, in: zone)
        let export = try cli.talkvault(["export", "--week", week.description] + common, environment: now)
        #expect(export.status == 0, "\(export.stderr)")
        let files = export.stdout.split(separator: "\n").map(String.init)
        #expect(files.map { ($0 as NSString).lastPathComponent }.sorted()
                == ["talkvault-shop-a-\(week).csv", "talkvault-shop-b-\(week).csv"])
        let fileA = try String(contentsOfFile: try #require(files.first { $0.hasSuffix("shop-a-\(week).csv") }), encoding: .utf8)
        #expect(fileA.contains(readA.id) && !fileA.contains(readB.id))
        let status = try cli.talkvault(["status"] + common, environment: now)
        #expect(status.stdout.contains("shop-a") && status.stdout.contains("shop-b"))
    }

    static func stats(_ sim: String) async throws -> [String: Any] {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: sim + "/admin/stats"), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        return try #require(try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any])
    }
}
