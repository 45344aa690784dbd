import Foundation
@testable import LINESimulator
import TalkVaultDomain
import Testing
import TestSupport

/// One account of before, then `channels:` listed: what was captured before stays `default`,
/// and the old token, while it is still given, still sweeps that history; without it, the sweep
/// leaves the history waiting and names the token. And `serve` refuses two channels with one secret.
@Suite struct ChannelHistoryBinaryTests {
    @Test func theHistoryOfDefaultIsSweptWithTheOldTokenOnceChannelsAreListed() async throws {
        let cli = CLITests()
        let sizes = ["--size", "image=800-6000", "--size", "video=800-6000", "--size", "audio=800-4000", "--size", "file=300-4000"]
        let (simulator, sim) = try SimulatorBinaryTests.start(["--channel", "shop-a", "--transcode-seconds", "0"] + sizes)
        defer { simulator.terminate() }
        let base = "timezone: Asia/Tokyo\nread_state: manual\nline:\n  api_base_url: \(sim)\n  data_api_base_url: \(sim)\n"
        let old = SimulatedChannel.defaultChannel, shopA = SimulatedChannel.named("shop-a")
        let dataDir = cli.dir.file("data")
        let (serve, url, _) = try ServeBinaryTests.startServe(dataDir: dataDir, environment: ["TALKVAULT_CHANNEL_SECRET": old.channelSecret],
                                                              config: cli.dir.write("before.yaml", base))
        let end = SystemClock().now().adding(RetentionDuration(seconds: -600)).rfc3339(in: TimeZone(identifier: "UTC")!)
        let sent = try run(SimulatorBinaryTests.binary, ["send", "--target", url + "/webhook", "--simulator", sim, "--messages", "16",
                                                         "--period", "1h", "--end", end, "--seed", "3", "--unsend-rate", "0"] + sizes)
        #expect(sent.status == 0, "\(sent.stdout)\(sent.stderr)")
        serve.terminate()
        serve.waitUntilExit()

        let common = ["--data-dir", dataDir, "--config", cli.dir.write("after.yaml", base + "channels:\n  - name: shop-a\n")]
        let now = ["TALKVAULT_NOW": ""], tokenA = ["TALKVAULT_ACCESS_TOKEN_SHOP_A": shopA.accessToken]
        func pending() throws -> Int {
            Int(try cli.talkvault(["find", "--count", "--channel", "default", "--state", "content_due,downloaded"] + common,
                                  environment: now).stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        }
        let waiting = try pending()
        #expect(waiting > 0)

        // shop-a's token alone: default's content is not asked for with it, and the sweep says why.
        let without = try cli.talkvault(["sweep"] + common, environment: now.merging(tokenA) { $1 })
        #expect([0, 3].contains(without.status), "\(without.stderr)")
        #expect(without.stderr.contains("no access token for the channel") && without.stderr.contains("TALKVAULT_ACCESS_TOKEN or credential access-token"),
                "\(without.stderr)")
        let after = try pending()
        #expect(after == waiting, "\(waiting) then \(after)")
        let untouched = try #require(try await ChannelsBinaryTests.stats(sim)["channels"] as? [String: [String: Any]])
        #expect(untouched["shop-a"]?["requests"] as? Int == 0 && untouched["default"]?["requests"] as? Int == 0, "\(untouched)")

        // The old token given too: the history is swept with it, and only with it.
        let with = try cli.talkvault(["sweep"] + common, environment: now.merging(tokenA) { $1 }.merging(["TALKVAULT_ACCESS_TOKEN": old.accessToken]) { $1 })
        #expect([0, 3].contains(with.status), "\(with.stderr)")
        #expect(try pending() == 0)
        let swept = try #require(try await ChannelsBinaryTests.stats(sim)["channels"] as? [String: [String: Any]])
        #expect((swept["default"]?["requests"] as? Int ?? 0) > 0 && swept["shop-a"]?["requests"] as? Int == 0, "\(swept)")

        // A channel whose token has a credential name of its own: the warning names that one.
        let image = Webhook.body([Webhook.media("a-img-1", type: "image", eventId: "a-e-1", at: SystemClock().now().milliseconds - 60_000)],
                                 destination: shopA.destination)
        let own = ["--data-dir", dataDir, "--config",
                   cli.dir.write("own.yaml", base + "channels:\n  - name: shop-a\n    access_token_credential: shop-a-token\n")]
        #expect(try cli.talkvault(["ingest", "--channel", "shop-a", cli.dir.write("a.json", String(decoding: image, as: UTF8.self))] + own,
                                  environment: now).status == 0)
        let hinted = try cli.talkvault(["sweep"] + own, environment: now.merging(["TALKVAULT_ACCESS_TOKEN": old.accessToken]) { $1 })
        #expect(hinted.stderr.contains("channel=shop-a") && hinted.stderr.contains("TALKVAULT_ACCESS_TOKEN_SHOP_A or credential shop-a-token"),
                "\(hinted.stderr)")

        // Two channels with one secret: a body signed for one would pass as the other's.
        let twins = cli.dir.write("twins.yaml", base + "channels:\n  - name: shop-a\n  - name: shop-b\n")
        let refused = try cli.talkvault(["serve", "--port", "0", "--data-dir", dataDir, "--config", twins],
                                        environment: ["TALKVAULT_CHANNEL_SECRET_SHOP_A": "same", "TALKVAULT_CHANNEL_SECRET_SHOP_B": "same"])
        #expect(refused.status == 78 && refused.stderr.contains("same channel secret"), "\(refused.stderr)")
    }
}
