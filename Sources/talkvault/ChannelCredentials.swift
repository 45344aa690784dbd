import Foundation
import RetentionConfig
import TalkVaultDomain

extension TalkVaultConfig {
    /// Each channel's access token, in the config's order, the history of `default` last;
    /// channels without one are left out.
    func orderedAccessTokens(from env: [String: String] = ProcessInfo.processInfo.environment) -> [(channel: String, token: String)] {
        channelsWithHistory.compactMap { channel in channel.accessToken(from: env).map { (channel.name, $0) } }
    }

    /// Each channel's access token, by channel name.
    func accessTokens(from env: [String: String] = ProcessInfo.processInfo.environment) -> [String: String] {
        Dictionary(orderedAccessTokens(from: env).map { ($0.channel, $0.token) }) { first, _ in first }
    }

    /// One client per channel that has a token. Without `channels:` the one token serves every
    /// message, as before channels; with them, each channel only its own (and the old token,
    /// while given, the messages of before: `default`).
    func perChannel<Client: Sendable>(_ make: (String) -> Client) -> PerChannel<Client> {
        let tokens = accessTokens()
        if !listsChannels { return tokens.values.first.map { PerChannel(make($0)) } ?? PerChannel([:]) }
        return PerChannel(tokens.mapValues(make))
    }

    /// What to tell someone who gave no access token at all.
    var missingTokenMessage: String {
        guard listsChannels else {
            return "no access token: set TALKVAULT_ACCESS_TOKEN, or provide the systemd credential 'access-token'"
        }
        let hints = channels.map { "\($0.name): \($0.tokenHint)" }
        return "no access token for any channel (" + hints.joined(separator: "; ") + ")"
    }
}
