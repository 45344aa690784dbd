import Foundation
import LINEClient
import Synchronization
import Store
import TalkVaultDomain

/// One channel (Official Account) as `serve` receives it: its own path, verified with its own
/// secret, and its own LINE clients.
public struct WebhookChannel: Sendable {
    public var name: String
    /// The path LINE posts this channel's webhooks to.
    public var webhookPath: String
    public var secret: Secret
    /// The bot's user id, when the config gives it; else learned.
    public var destination: String?
    /// Where read state comes from; `line` asks `botInfo`.
    public var readMode: ReadMode = .manual
    public var botInfo: BotInfoClient?
    /// Where markAsRead calls go after a mark-read; nil without an access token.
    public var markAsRead: MarkAsReadClient?

    public init(name: String, webhookPath: String, secret: String, destination: String? = nil) {
        self.name = name
        self.webhookPath = webhookPath
        self.secret = Secret(secret)
        self.destination = destination
    }
}

/// The channel of before `channels:` (`default`), which receives nothing any more: while its old
/// credentials are given, they sign its bodies still in the relay's backlog and carry the
/// markAsRead calls owed for its messages.
public struct ChannelHistory: Sendable {
    public var name: String
    public var secret: String?
    public var markAsRead: MarkAsReadClient?

    public init(name: String, secret: String?, markAsRead: MarkAsReadClient?) {
        self.name = name
        self.secret = secret
        self.markAsRead = markAsRead
    }
}

/// Why a body was not routed to a channel.
struct Refusal: Error {
    /// The `talkvault_webhook_requests_total` result it counts as.
    var metric: String
    var message: String
}

/// Which channel a bot user id (`destination`) belongs to, for the shared webhook path: from the
/// config, from `/v2/bot/info`, and from what each channel's verified bodies carried (the ledger
/// keeps it). A destination nobody knows is looked up in the ledger again, at most once a second.
final class DestinationDirectory: Sendable {
    private let known: Mutex<[String: String]>
    private let configured: Set<String>
    /// Names LINE posts to now; the ledger's claims by any other (a name of before) are ignored.
    private let names: Set<String>
    private let lastRefresh = Mutex<UInt64>(0)
    private let learned: @Sendable () async -> [String: String]

    /// - Parameter learned: channel name to destination, as the ledger holds them.
    init(configured channels: [WebhookChannel], learned: @escaping @Sendable () async -> [String: String]) {
        var map: [String: String] = [:]
        for channel in channels { if let destination = channel.destination { map[destination] = channel.name } }
        configured = Set(map.keys)
        names = Set(channels.map(\.name))
        known = Mutex(map)
        self.learned = learned
    }

    /// Reads what the ledger learned; the config's own destinations stay.
    func load() async {
        let fresh = await learned()
        known.withLock { map in
            for (channel, destination) in fresh where map[destination] == nil && names.contains(channel) { map[destination] = channel }
        }
    }

    /// The channel of `destination`, or nil.
    func channel(for destination: String) async -> String? {
        if let name = known.withLock({ $0[destination] }) { return name }
        let now = DispatchTime.now().uptimeNanoseconds
        let due = lastRefresh.withLock { last -> Bool in
            guard last == 0 || now - last >= 1_000_000_000 else { return false }
            last = now
            return true
        }
        guard due else { return nil }
        await load()
        return known.withLock { $0[destination] }
    }

    /// Notes what `/v2/bot/info` said; LINE's answer wins over what was learned, the config over both.
    func learn(_ destination: String, for channel: String) {
        known.withLock { map in
            guard !configured.contains(destination) else { return }
            for (key, name) in map where name == channel && !configured.contains(key) { map[key] = nil }
            map[destination] = channel
        }
    }
}
