import Foundation
import TalkVaultDomain
import Yams

extension Validator {
    static let channelKeys = ["name", "webhook_path", "destination", "channel_secret_credential", "access_token_credential",
                              "windows", "read_state"]

    /// The `channels:` list. `sharedPath` is `capture.webhook_path`, which routes by destination
    /// once channels are listed: no channel may take it.
    mutating func channels(_ node: Node, sharedPath: String) -> [ChannelConfig] {
        guard let items = node.sequence else {
            report(node, key: "channels", "expected a list of channels, each with a name (see docs/channels.md)")
            return []
        }
        if items.isEmpty { report(node, key: "channels", "must list at least one channel (leave the key out for one channel named default)") }
        var channels: [ChannelConfig] = []
        var names: [String: Node] = [:], paths: [String: Node] = [:], destinations: [String: Node] = [:]
        var credentials: [String: Node] = [:]
        for (index, item) in items.enumerated() {
            let key = "channels[\(index)]"
            guard let entries = mapping(item, key: key) else { continue }
            guard let nameEntry = entries.first(where: { $0.name == "name" }) else {
                report(item, key: key, "needs a name (a short slug, such as shop-a)"); continue
            }
            guard let name = string(nameEntry.value, key: "\(key).name") else { continue }
            if let problem = Self.slugProblem(name) { report(nameEntry.value, key: "\(key).name", problem); continue }
            do {
                var channel = ChannelConfig.named(name)
                var pathNode = nameEntry.value, ok = true
                var credentialNodes = ["channel_secret_credential": nameEntry.value, "access_token_credential": nameEntry.value]
                for entry in entries where entry.name != "name" {
                    let path = "\(key).\(entry.name)"
                    switch entry.name {
                    case "webhook_path":
                        guard let text = string(entry.value, key: path) else { ok = false; continue }
                        if let problem = Self.webhookPathProblem(text) { report(entry.value, key: path, problem); ok = false; continue }
                        channel.webhookPath = Self.routedPath(text)
                        pathNode = entry.value
                    case "destination":
                        guard let text = string(entry.value, key: path) else { ok = false; continue }
                        guard Self.isBotUserID(text) else {
                            report(entry.value, key: path, "must be the bot's user id: U and 32 hex digits, as /v2/bot/info gives it (got '\(ConfigIssue.clip(text))')")
                            ok = false; continue
                        }
                        if let first = destinations[text] {
                            report(entry.value, key: path, "is the destination of another channel too (line \(first.mark?.line ?? 0))"); ok = false
                        } else {
                            destinations[text] = entry.value
                        }
                        channel.destination = text
                    case "channel_secret_credential", "access_token_credential":
                        guard let text = string(entry.value, key: path) else { ok = false; continue }
                        guard Self.credentialNameIsValid(text) else {
                            report(entry.value, key: path, "must be a systemd credential name: letters, digits, '-', '_' and '.' (got '\(ConfigIssue.clip(text))')")
                            ok = false; continue
                        }
                        if entry.name == "channel_secret_credential" { channel.secretCredential = text } else { channel.tokenCredential = text }
                        credentialNodes[entry.name] = entry.value
                    case "windows":
                        guard let windowEntries = mapping(entry.value, key: path) else { ok = false; continue }
                        for windowEntry in windowEntries {
                            guard let kind = kind(windowEntry, prefix: path),
                                  let window = window(windowEntry.value, key: "\(path).\(windowEntry.name)") else { ok = false; continue }
                            channel.windows[kind] = window
                        }
                    case "read_state":
                        guard let text = string(entry.value, key: path) else { ok = false; continue }
                        guard let mode = ReadMode(rawValue: text) else {
                            report(entry.value, key: path, "must be line, auto or manual (got '\(ConfigIssue.clip(text))')"); ok = false; continue
                        }
                        channel.readMode = mode
                    default:
                        unknownKey(entry, key: path, expected: Self.channelKeys); ok = false
                    }
                }
                if let first = names[name] {
                    // Its default path is the other's too: one problem, said once.
                    report(nameEntry.value, key: "\(key).name", "'\(name)' names another channel too (line \(first.mark?.line ?? 0))")
                    continue
                }
                names[name] = nameEntry.value
                if channel.webhookPath == sharedPath {
                    report(pathNode, key: "\(key).webhook_path", "is capture.webhook_path, the shared path that routes by destination: give the channel its own"); ok = false
                } else if let first = paths[channel.webhookPath] {
                    report(pathNode, key: "\(key).webhook_path", "'\(channel.webhookPath)' is the webhook path of another channel too (line \(first.mark?.line ?? 0))"); ok = false
                } else {
                    paths[channel.webhookPath] = pathNode
                }
                // One account's secret under two names would let a body signed for one be taken
                // for the other; one token would make two rate limits of LINE's one.
                for (field, credential) in [("channel_secret_credential", channel.secretCredential), ("access_token_credential", channel.tokenCredential)] {
                    let node = credentialNodes[field] ?? nameEntry.value
                    if let first = credentials[credential] {
                        report(node, key: "\(key).\(field)", "'\(credential)' is another channel's credential too (line \(first.mark?.line ?? 0)): each channel has its own")
                        ok = false
                    } else {
                        credentials[credential] = node
                    }
                }
                if ok { channels.append(channel) }
            }
        }
        return channels
    }

    /// LINE's bot user ids: `U` and 32 lower-case hex digits.
    static func isBotUserID(_ text: String) -> Bool {
        let hex = text.utf8.dropFirst()
        return text.utf8.first == UInt8(ascii: "U") && hex.count == 32
            && hex.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    /// systemd credential names are file names; these characters keep them plain.
    static func credentialNameIsValid(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 64 && text != "." && text != ".."
            && text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D || $0 == 0x5F || $0 == 0x2E }
    }
}
