import Relay
import RetentionConfig
import TalkVaultDomain

extension RelayDestination {
    /// A `relay:` target, its secret header's value read from the environment or the
    /// credential `relay-<name>`: never from `retention.yaml`. Missing, it stops `serve` (78).
    init(target: RelayTarget) throws {
        var secretHeader: (name: String, value: Secret)?
        if let header = target.secretHeader {
            secretHeader = (header, Secret(try Credentials.require(named: target.credentialName, environment: target.environmentName)))
        }
        self.init(name: target.name, url: target.url, timeout: target.timeout, maxAge: target.maxAge, secretHeader: secretHeader,
                  channels: target.channels.map(Set.init))
    }
}
