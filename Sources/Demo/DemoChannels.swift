import Foundation
import Intake
import LINEClient
import LINESimulator
import Server
import TalkVaultDomain

/// The demo's two Official Accounts, as a business with two shops has them: `shop-a` posts to
/// its own path, `shop-b` to the shared `/webhook`, where `serve` routes each body by its bot
/// user id (`destination`), learned from `/v2/bot/info`. Each has its own secret and token, so
/// each is verified, swept and marked read with its own.
struct DemoChannels: Sendable {
    static let accounts = [SimulatedChannel.named("shop-a"), SimulatedChannel.named("shop-b")]
    static let sharedPath = "/webhook"

    /// The simulator's Messaging API.
    let apiBaseURL: String

    /// Where the demo posts an account's webhooks.
    static func postPath(of account: SimulatedChannel) -> String {
        account.name == accounts.last?.name ? sharedPath : "/webhook/" + account.name
    }

    /// How many of `messages` each account sends: the first takes the odd one.
    static func split(_ messages: Int) -> [Int] {
        accounts.indices.map { index in messages / accounts.count + (index < messages % accounts.count ? 1 : 0) }
    }

    /// `serve`'s channels, as a `channels:` section naming both gives them: own paths, own
    /// secrets, and clients with each account's token (bot info tells `serve` the destination).
    var receiving: [WebhookChannel] {
        Self.accounts.map { account in
            var channel = WebhookChannel(name: account.name, webhookPath: "/webhook/" + account.name, secret: account.channelSecret)
            channel.botInfo = BotInfoClient(apiBaseURL: apiBaseURL, accessToken: account.accessToken)
            channel.markAsRead = markAsReadClient(account)
            return channel
        }
    }

    /// Profiles are fetched with the token of the channel the sender wrote to.
    var profiles: ProfileFetcher.Settings {
        var settings = ProfileFetcher.Settings(apiBaseURL: apiBaseURL, accessToken: Self.accounts[0].accessToken, interval: .milliseconds(200))
        settings.channelTokens = Dictionary(uniqueKeysWithValues: Self.accounts.map { ($0.name, Secret($0.accessToken)) })
        return settings
    }

    var contentClients: PerChannel<ContentClient> {
        PerChannel(Dictionary(uniqueKeysWithValues: Self.accounts.map {
            ($0.name, ContentClient(dataAPIBaseURL: apiBaseURL, accessToken: $0.accessToken, timeout: .seconds(30)))
        }))
    }

    var markAsReadClients: PerChannel<MarkAsReadClient> {
        PerChannel(Dictionary(uniqueKeysWithValues: Self.accounts.map { ($0.name, markAsReadClient($0)) }))
    }

    private func markAsReadClient(_ account: SimulatedChannel) -> MarkAsReadClient {
        MarkAsReadClient(apiBaseURL: apiBaseURL, accessToken: account.accessToken)
    }

    /// Waits until `serve` routes `account`'s bodies on the shared path, the way an operator
    /// presses Verify in LINE's console after setting the webhook URL: `serve` learns the bot's
    /// user id from `/v2/bot/info` as it starts, retrying the simulator's faults with backoff.
    static func waitUntilRouted(_ account: SimulatedChannel, sender: WebhookSender, seconds: Int = 30) async throws {
        for _ in 0..<(seconds * 5) {
            if await sender.verify(destination: account.destination) { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw DemoError.notRouted(account.name)
    }
}
