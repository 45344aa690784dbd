/// Channels (LINE Official Accounts) are named by short slugs; every record carries one.
public enum ChannelName {
    /// The channel of a config without `channels:`, and of everything captured before
    /// TalkVault knew channels.
    public static let implicit = "default"

    /// Whether `text` is a slug: 1 to 32 lower-case letters, digits and inner `-`.
    public static func isValid(_ text: String) -> Bool {
        guard !text.isEmpty, text.utf8.count <= 32, text.first != "-", text.last != "-" else { return false }
        return text.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
    }

    /// Where a listed channel's access token is looked for, for messages that name what is missing.
    public static func tokenHint(_ channel: String) -> String {
        channel == implicit ? "TALKVAULT_ACCESS_TOKEN or credential access-token"
            : "TALKVAULT_ACCESS_TOKEN_\(channel.uppercased().replacingOccurrences(of: "-", with: "_")) or credential access-token-\(channel)"
    }
}
