import Crypto
import Foundation

/// One simulated Official Account (a LINE channel): its own access token, channel secret and
/// bot user id (`destination`, which LINE puts in every webhook body and `/v2/bot/info` answers
/// as `userId`). Its name is the simulator's handle for it: `/admin/stats` counts by it and a
/// registered message belongs to one.
public struct SimulatedChannel: Sendable, Codable, Equatable {
    public var name: String
    /// The Bearer token that picks this channel on the Messaging API.
    public var accessToken: String
    /// The secret its webhooks are signed with.
    public var channelSecret: String
    /// The bot's user id: `U` and 32 lower-case hex digits.
    public var destination: String

    /// The name of the channel every simulator serves.
    public static let defaultName = "default"

    public init(name: String, accessToken: String, channelSecret: String, destination: String) {
        self.name = name
        self.accessToken = accessToken
        self.channelSecret = channelSecret
        self.destination = destination
    }

    /// The channel `name`, with local, documented credentials derived from it:
    /// `simulator-access-token-<name>`, `simulator-channel-secret-<name>`, and as destination `U`
    /// and the first 32 hex digits of SHA-256(`simulator-bot-<name>`).
    public static func named(_ name: String) -> SimulatedChannel {
        SimulatedChannel(name: name, accessToken: "simulator-access-token-\(name)",
                         channelSecret: "simulator-channel-secret-\(name)", destination: botUserId(for: name))
    }

    /// The channel `default`, with the simulator's documented default token and secret.
    public static var defaultChannel: SimulatedChannel {
        SimulatedChannel(name: defaultName, accessToken: SimulatorConfig.defaultAccessToken,
                         channelSecret: SimulatorConfig.defaultChannelSecret, destination: botUserId(for: defaultName))
    }

    /// True for a name the command line accepts: 1 to 32 lower-case letters, digits and inner `-`.
    public static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...32).contains(bytes.count), bytes.first != UInt8(ascii: "-"), bytes.last != UInt8(ascii: "-") else { return false }
        return bytes.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
            || $0 == UInt8(ascii: "-") }
    }

    /// `/v2/bot/info`'s `displayName`: the default channel keeps the simulator's one shop name.
    public var displayName: String { name == Self.defaultName ? "TalkVault テスト店" : "TalkVault テスト店 \(name)" }

    /// `/v2/bot/info`'s `basicId`, like LINE's `@` and 8 characters.
    var basicId: String { name == Self.defaultName ? "@123talkv" : "@" + destination.dropFirst().prefix(8) }

    static func botUserId(for name: String) -> String {
        "U" + hexString(SHA256.hash(data: Data("simulator-bot-\(name)".utf8))).prefix(32)
    }

    enum CodingKeys: String, CodingKey {
        case name, accessToken = "access_token", channelSecret = "channel_secret", destination
    }
}
