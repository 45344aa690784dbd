import Foundation
import TalkVaultDomain

/// A downstream tool that receives every webhook body `serve` acknowledged, after TalkVault
/// (`relay:` in `retention.yaml`): the extension tool that owned the webhook URL before.
public struct RelayTarget: Sendable, Equatable {
    /// A short slug: lower-case letters, digits and `-`.
    public var name: String
    /// Where bodies are posted; never with credentials in it.
    public var url: String
    /// The channels whose bodies it receives; nil for every channel.
    public var channels: [String]?
    /// How long one delivery may take, connection included.
    public var timeout = RetentionDuration(seconds: 10)
    /// How long a body is tried before it is dead-lettered.
    public var maxAge = RetentionDuration.hours(24)
    /// A header the target wants, whose value is the credential `relay-<name>` (or env
    /// `TALKVAULT_RELAY_<NAME>`): never from `retention.yaml`.
    public var secretHeader: String?

    public init(name: String, url: String, channels: [String]? = nil, timeout: RetentionDuration = RetentionDuration(seconds: 10),
                maxAge: RetentionDuration = .hours(24), secretHeader: String? = nil) {
        self.name = name
        self.url = url
        self.channels = channels
        self.timeout = timeout
        self.maxAge = maxAge
        self.secretHeader = secretHeader
    }

    /// The systemd credential holding the secret header's value.
    public var credentialName: String { "relay-\(name)" }
    /// The environment variable holding it, before the credential.
    public var environmentName: String { "TALKVAULT_RELAY_" + name.uppercased().replacingOccurrences(of: "-", with: "_") }
}
