import Foundation
import RetentionConfig
import TalkVaultDomain
import Testing
import TestSupport

/// `channels:` in `retention.yaml`: several Official Accounts, each on its own path with its own
/// credentials; without the key, the one channel `default` of before.
@Suite struct ChannelConfigTests {
    let config = ConfigTests()

    @Test func withoutChannelsThereIsOneChannelNamedDefaultWithTodaysPathAndCredentials() throws {
        let loaded = try config.load("capture:\n  webhook_path: /line\n")
        #expect(!loaded.listsChannels)
        #expect(loaded.channels.count == 1)
        let channel = loaded.channels[0]
        #expect(channel.name == "default" && channel.webhookPath == "/line")
        #expect(channel.secretCredential == "channel-secret" && channel.secretEnvironment == "TALKVAULT_CHANNEL_SECRET")
        #expect(channel.tokenCredential == "access-token" && channel.tokenEnvironment == "TALKVAULT_ACCESS_TOKEN")
        #expect(try channel.channelSecret(from: ["TALKVAULT_CHANNEL_SECRET": "s"]) == "s")
    }

    @Test func theDocumentedShapeIsReadWithItsDefaults() throws {
        let loaded = try config.load("""
            relay:
              - name: lstep
                url: https://example.invalid/hook
                channels: [shop-a]
            channels:
              - name: shop-a
                webhook_path: /webhook/shop-a
              - name: shop-b
                destination: U0123456789abcdef0123456789abcdef
                channel_secret_credential: b-secret
                access_token_credential: b-token
                windows:
                  image: 30d
                read_state: auto
            """)
        #expect(loaded.listsChannels)
        #expect(loaded.channels.map(\.name) == ["shop-a", "shop-b"])
        let a = loaded.channels[0], b = loaded.channels[1]
        #expect(a.webhookPath == "/webhook/shop-a" && a.destination == nil && a.readMode == nil && a.windows.isEmpty)
        #expect(a.secretCredential == "channel-secret-shop-a" && a.secretEnvironment == "TALKVAULT_CHANNEL_SECRET_SHOP_A")
        #expect(a.tokenCredential == "access-token-shop-a" && a.tokenEnvironment == "TALKVAULT_ACCESS_TOKEN_SHOP_A")
        #expect(b.webhookPath == "/webhook/shop-b", "the default path")
        #expect(b.destination == "U0123456789abcdef0123456789abcdef")
        #expect(b.secretCredential == "b-secret" && b.tokenCredential == "b-token")
        #expect(b.readMode == .auto && b.windows == [.image: .days(30)])
        #expect(loaded.relay[0].channels == ["shop-a"])
        // The channel's own window reaches its deadlines, and only its own.
        let sent = Instant(milliseconds: 0)
        #expect(loaded.policy.deadline(sentAt: sent, kind: .image, chat: .user, channel: "shop-b") == sent.adding(.days(30)))
        #expect(loaded.policy.deadline(sentAt: sent, kind: .image, chat: .user, channel: "shop-a") == sent.adding(.days(14)))
        #expect(loaded.policy.fingerprint != RetentionPolicy.lineDefaults.fingerprint)
        #expect(try config.load("timezone: Asia/Tokyo").policy.fingerprint == RetentionPolicy.lineDefaults.fingerprint,
                "a file without channel windows keeps the fingerprint its deadlines were computed with")
    }

    @Test(arguments: [
        ("channels:\n  - name: a\n    webhook_path: /x\n  - name: b\n    webhook_path: /x\n", 5, 19, "channels[1].webhook_path",
         "webhook path of another channel too (line 3)"),
        ("channels:\n  - name: a\n  - name: b\n    webhook_path: /webhook/a\n", 4, 19, "channels[1].webhook_path", "another channel too"),
        ("channels:\n  - name: a\n    destination: U0123456789abcdef0123456789abcdef\n  - name: b\n    destination: U0123456789abcdef0123456789abcdef\n",
         5, 18, "channels[1].destination", "destination of another channel too (line 3)"),
        ("channels:\n  - name: a\n  - name: a\n", 3, 11, "channels[1].name", "names another channel too (line 2)"),
        ("channels:\n  - name: a\n    webhook_path: /webhook\n", 3, 19, "channels[0].webhook_path", "shared path"),
        ("channels:\n  - name: Shop\n", 2, 11, "channels[0].name", "lower-case letters"),
        ("channels:\n  - webhook_path: /x\n", 2, 5, "channels[0]", "needs a name"),
        ("channels:\n  - name: a\n    destination: bot-a\n", 3, 18, "channels[0].destination", "U and 32 hex digits"),
        ("channels:\n  - name: a\n    webhook_path: /metrics\n", 3, 19, "channels[0].webhook_path", "collides with the server's own /metrics"),
        ("channels:\n  - name: a\n    channel_secret: hunter2\n", 3, 5, "channels[0].channel_secret", "unknown key"),
        ("channels:\n  - name: a\n    access_token_credential: ../etc/passwd\n", 3, 30, "channels[0].access_token_credential", "credential name"),
        ("channels:\n  - name: a\n    windows:\n      image: 0d\n", 4, 14, "channels[0].windows.image", "longer than zero"),
        ("channels:\n  - name: a\n    read_state: sometimes\n", 3, 17, "channels[0].read_state", "line, auto or manual"),
        ("channels:\n  name: a\n", 2, 3, "channels", "a list of channels"),
        ("channels: []\n", 1, 11, "channels", "at least one channel"),
        ("channels:\n  - name: a\nrelay:\n  - name: r\n    url: https://x.example/h\n    channels: [default]\n", 6, 16, "relay[0].channels",
         "unknown channel 'default' (known: a)"),
        ("channels:\n  - name: a\nrelay:\n  - name: r\n    url: http://127.0.0.1:8080/webhook/a\n", 5, 10, "relay[0].url", "points back"),
        // The router does not count empty segments: these are the same paths as above.
        ("channels:\n  - name: a\n    webhook_path: /x/b/\n  - name: b\n    webhook_path: //x//b\n", 5, 19, "channels[1].webhook_path",
         "'/x/b' is the webhook path of another channel too (line 3)"),
        ("channels:\n  - name: a\n    webhook_path: /webhook/\n", 3, 19, "channels[0].webhook_path", "shared path"),
        ("channels:\n  - name: a\nrelay:\n  - name: r\n    url: http://127.0.0.1:8080/webhook/a/\n", 5, 10, "relay[0].url", "points back"),
        // One account's credential under two channels.
        ("channels:\n  - name: a\n  - name: b\n    channel_secret_credential: channel-secret-a\n", 4, 32,
         "channels[1].channel_secret_credential", "'channel-secret-a' is another channel's credential too (line 2)"),
        ("channels:\n  - name: a\n    access_token_credential: t\n  - name: b\n    access_token_credential: t\n", 5, 30,
         "channels[1].access_token_credential", "another channel's credential too (line 3)"),
        // A channel's own window is held to the margin like the file's.
        ("safety_margin: 3d\nchannels:\n  - name: a\n    windows:\n      image: 2d\n", 1, 16, "safety_margin",
         "3d is not shorter than the 2d window for image of channel a"),
        ("channels:\n  - name: a\n    windows:\n      image: 1h\n", 2, 3, "channels", "window for image of channel a is not longer than the safety margin"),
    ])
    func eachProblemIsNamedAtItsPosition(_ yaml: String, _ line: Int, _ column: Int, _ key: String, _ words: String) throws {
        let issue = try config.issue(yaml)
        #expect(issue.line == line && issue.column == column && issue.key == key, "\(issue)")
        #expect(issue.message.contains(words), "\(issue)")
    }

    @Test func aMissingSecretNamesTheChannelsOwnVariableAndCredential() throws {
        let channel = try config.load("channels:\n  - name: shop-a\n").channels[0]
        #expect(throws: Credentials.Missing.self) { try channel.channelSecret(from: [:]) }
        do {
            _ = try channel.channelSecret(from: ["TALKVAULT_CHANNEL_SECRET": "the default channel's"])
            Issue.record("another channel's secret was taken")
        } catch {
            #expect("\(error)".contains("TALKVAULT_CHANNEL_SECRET_SHOP_A") && "\(error)".contains("channel-secret-shop-a"))
        }
        #expect(channel.accessToken(from: ["TALKVAULT_ACCESS_TOKEN_SHOP_A": "t"]) == "t")
    }

    @Test func thePathsAreKeptAsTheRouterMatchesThem() throws {
        let loaded = try config.load("capture:\n  webhook_path: /line/\nchannels:\n  - name: a\n    webhook_path: //shops//a/\n")
        #expect(loaded.webhookPath == "/line" && loaded.channels[0].webhookPath == "/shops/a")
    }

    @Test func theAccountOfBeforeKeepsItsCredentialsForItsHistory() throws {
        #expect(try config.load("timezone: Asia/Tokyo\n").historyChannel == nil, "without channels:, default is the channel itself")
        let history = try #require(try config.load("channels:\n  - name: shop-a\n").historyChannel)
        #expect(history.name == "default" && history.tokenEnvironment == "TALKVAULT_ACCESS_TOKEN" && history.secretCredential == "channel-secret")
        #expect(try config.load("channels:\n  - name: default\n  - name: shop-b\n").historyChannel == nil,
                "a listed channel named default is its own history")
    }
}
