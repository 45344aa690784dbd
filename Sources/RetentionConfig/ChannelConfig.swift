import Foundation
import TalkVaultDomain

/// One LINE Official Account (`channels:`): where its webhooks arrive, where its secrets come
/// from, and what it does differently from the rest of the file.
public struct ChannelConfig: Sendable, Equatable {
    /// A short slug; every record TalkVault keeps carries it.
    public var name: String
    /// Where LINE posts this channel's webhooks; verified with this channel's secret alone.
    public var webhookPath: String
    /// The bot's user id (`destination` in every body), for bodies on the shared path; learned
    /// from `/v2/bot/info` when not set.
    public var destination: String?
    /// The systemd credential holding the channel secret.
    public var secretCredential: String
    /// The environment variable that may hold the channel secret instead.
    public var secretEnvironment: String
    public var tokenCredential: String
    public var tokenEnvironment: String
    /// Windows of this channel that differ from `windows:`.
    public var windows: [MessageKind: RetentionDuration] = [:]
    /// This channel's `read_state`, when it differs from the file's.
    public var readMode: ReadMode?

    /// The one channel of a config without `channels:`: today's path and credential names.
    public static func implicitDefault(webhookPath: String) -> ChannelConfig {
        ChannelConfig(name: ChannelName.implicit, webhookPath: webhookPath, secretCredential: "channel-secret",
                      secretEnvironment: "TALKVAULT_CHANNEL_SECRET", tokenCredential: "access-token",
                      tokenEnvironment: "TALKVAULT_ACCESS_TOKEN")
    }

    /// A listed channel with every default: `/webhook/<name>`, `channel-secret-<name>`,
    /// `TALKVAULT_CHANNEL_SECRET_<NAME>` and the same for the access token.
    public static func named(_ name: String) -> ChannelConfig {
        let upper = name.uppercased().replacingOccurrences(of: "-", with: "_")
        return ChannelConfig(name: name, webhookPath: "/webhook/\(name)", secretCredential: "channel-secret-\(name)",
                             secretEnvironment: "TALKVAULT_CHANNEL_SECRET_\(upper)", tokenCredential: "access-token-\(name)",
                             tokenEnvironment: "TALKVAULT_ACCESS_TOKEN_\(upper)")
    }

    /// The channel secret, from the environment or systemd; throws naming both when absent.
    public func channelSecret(from env: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        try Credentials.require(named: secretCredential, environment: secretEnvironment, from: env)
    }

    /// Where the access token comes from, for a message that it is missing.
    public var tokenHint: String { "\(tokenEnvironment) or credential \(tokenCredential)" }

    /// The access token, when one is given.
    public func accessToken(from env: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        Credentials.value(named: tokenCredential, environment: tokenEnvironment, from: env)
    }
}

extension TalkVaultConfig {
    /// The channel called `name`.
    public func channel(named name: String) -> ChannelConfig? { channels.first { $0.name == name } }

    /// The one channel of before `channels:`, when they are listed without one named `default`:
    /// LINE posts nothing to it any more, but its history stays `default`, and its old
    /// credentials (`TALKVAULT_ACCESS_TOKEN`, `channel-secret`…), while still given, serve that
    /// history: its downloads, its markAsRead calls, the relay's backlog of its bodies.
    public var historyChannel: ChannelConfig? {
        guard listsChannels, channel(named: ChannelName.implicit) == nil else { return nil }
        return .implicitDefault(webhookPath: webhookPath)
    }

    /// The channels, and the history of `default` when there is one: every channel whose
    /// messages may need a token.
    public var channelsWithHistory: [ChannelConfig] { channels + [historyChannel].compactMap { $0 } }
}
