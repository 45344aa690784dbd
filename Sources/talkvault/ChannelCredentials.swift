import Foundation
import RetentionConfig
import TalkVaultDomain

extension TalkVaultConfig {
    /// Each channel's access token, by channel name; channels without one are left out.
    func accessTokens(from env: [String: String] = ProcessInfo.processInfo.environment) -> [String: String] {
        var tokens: [String: String] = [:]
        for channel in channels { if let token = channel.accessToken(from: env) { tokens[channel.name] = token } }
        return tokens
    }

    /// One client per channel that has a token. Without `channels:` the one token serves every
    /// message, as before channels; with them, each channel only its own.
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
        let hints = channels.map { "\($0.name): \($0.tokenEnvironment) or credential '\($0.tokenCredential)'" }
        return "no access token for any channel (" + hints.joined(separator: "; ") + ")"
    }
}
