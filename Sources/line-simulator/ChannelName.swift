import ArgumentParser
import LINESimulator

/// `--channel NAME`, shared by `serve` and `send`: a slug, and never `default`, which every
/// simulator serves with `--access-token` and `--channel-secret`.
enum ChannelName {
    static func check(_ name: String) throws {
        guard SimulatedChannel.isValidName(name) else {
            throw ValidationError("--channel \(name): expected 1 to 32 lower-case letters, digits and inner '-'")
        }
        guard name != SimulatedChannel.defaultName else {
            throw ValidationError("--channel default: the default channel is always served; name another one")
        }
    }
}
