import Foundation
import TalkVaultDomain
import Yams

extension Validator {
    /// The keys `keep:` takes besides the kinds.
    static let keepSectionKeys = ["exports", "tags", "chat_types", "channels"]
    /// Every key `keep:` takes, in the order errors name them.
    static let keepKeys = MessageKind.allCases.map(\.rawValue) + keepSectionKeys

    /// `keep:` and `unsent:`: the rules, and a warning for every keep shorter than LINE's window
    /// for what it keeps (the local copy would go while LINE still has it). `policy` is the
    /// config's effective one; `channels` the validated channels, `channelsNode` the `channels:`
    /// list as written (a channel with a problem of its own is not also an unknown one here).
    mutating func keep(_ keepNode: Node?, unsent unsentNode: Node?, policy: RetentionPolicy,
                       channels: [ChannelConfig], channelsNode: Node?) -> (rules: KeepRules, warnings: [ConfigIssue]) {
        var rules = KeepRules()
        var warnings: [ConfigIssue] = []
        var entries: [Entry] = []
        if let keepNode { entries = mapping(keepNode, key: "keep") ?? [] }

        func warn(_ node: Node, key: String, _ duration: KeepDuration, window: RetentionDuration, what: String, kind: MessageKind) {
            guard let span = duration.span, span < window, warnings.count < Self.maxIssues else { return }
            var message = "\(span) is shorter than LINE's \(window) window for \(what): TalkVault deletes its copy while LINE still has it"
            if kind.hasContent { message += ", and content not downloaded within \(span) is never downloaded" }
            let mark = node.mark
            warnings.append(ConfigIssue(file: file, line: mark?.line ?? 0, column: mark?.column ?? 0, key: key, message: message))
        }

        for entry in entries {
            let path = "keep.\(entry.name)"
            if let kind = MessageKind(rawValue: entry.name) {
                guard let duration = keepDuration(entry.value, key: path) else { continue }
                rules.kinds[kind] = duration
                warn(entry.value, key: path, duration, window: policy.windows[kind]!, what: kind.rawValue, kind: kind)
                continue
            }
            switch entry.name {
            case "exports":
                if let duration = keepDuration(entry.value, key: path) { rules.exports = duration }
            case "tags":
                guard let tagEntries = mapping(entry.value, key: path) else { continue }
                var seen: [String: Node] = [:]
                for tagEntry in tagEntries {
                    let tagPath = "\(path).\(tagEntry.name)"
                    guard TagName.isValid(tagEntry.name) else {
                        report(tagEntry.keyNode, key: tagPath, "invalid tag '\(ConfigIssue.clip(tagEntry.name))' (1 to 40 letters, digits, "
                               + "'-' or '_', with at least one letter, not starting with '-')")
                        continue
                    }
                    let tag = TagName.normalized(tagEntry.name)
                    if let first = seen[tag] {
                        report(tagEntry.keyNode, key: tagPath, "is the tag '\(ConfigIssue.clip(tag))' again (line \(first.mark?.line ?? 0)): "
                               + "tags are compared in lower case")
                        continue
                    }
                    seen[tag] = tagEntry.keyNode
                    if let duration = keepDuration(tagEntry.value, key: tagPath) { rules.tags[tag] = duration }
                }
            case "chat_types":
                guard let chatEntries = mapping(entry.value, key: path) else { continue }
                for chatEntry in chatEntries {
                    let chatPath = "\(path).\(chatEntry.name)"
                    guard let chat = ChatType(rawValue: chatEntry.name) else {
                        report(chatEntry.keyNode, key: chatPath, "unknown chat type '\(ConfigIssue.clip(chatEntry.name))' "
                               + "(expected \(ChatType.allCases.map(\.rawValue).joined(separator: ", ")))")
                        continue
                    }
                    for (kind, duration, node) in keepKinds(chatEntry.value, path: chatPath) {
                        rules.chatTypes[chat, default: [:]][kind] = duration
                        warn(node, key: "\(chatPath).\(kind.rawValue)", duration, window: policy.window(for: kind, in: chat),
                             what: "\(kind.rawValue) in \(chat.rawValue) chats", kind: kind)
                    }
                }
            case "channels":
                guard let channelEntries = mapping(entry.value, key: path) else { continue }
                let known = channels.map(\.name)
                let written = Set(channelsNode?.sequence?.compactMap { $0.mapping?["name"]?.scalar?.string } ?? [])
                for channelEntry in channelEntries {
                    let name = channelEntry.name, channelPath = "\(path).\(name)"
                    let isKnown = known.contains(name)
                    if !isKnown && !written.contains(name) {
                        let hint = channelsNode == nil
                            ? "without a channels: list the only channel is \(ChannelName.implicit)"
                            : "configured: \(known.joined(separator: ", "))"
                        report(channelEntry.keyNode, key: channelPath, "unknown channel '\(ConfigIssue.clip(name))' (\(hint))")
                    }
                    for (kind, duration, node) in keepKinds(channelEntry.value, path: channelPath) where isKnown {
                        rules.channels[name, default: [:]][kind] = duration
                        // The rule holds in every chat type: it is too short if any keeps longer.
                        let windows = ChatType.allCases.map { (chat: $0, window: policy.window(for: kind, in: $0, channel: name)) }
                        let longest = windows.max { $0.window < $1.window }!
                        let what = windows.allSatisfy({ $0.window == longest.window })
                            ? "\(kind.rawValue) in channel \(name)" : "\(kind.rawValue) in \(longest.chat.rawValue) chats of channel \(name)"
                        warn(node, key: "\(channelPath).\(kind.rawValue)", duration, window: longest.window, what: what, kind: kind)
                    }
                }
            default:
                report(entry.keyNode, key: path, "unknown kind '\(ConfigIssue.clip(entry.name))' (expected \(Self.keepKeys.joined(separator: ", ")))")
            }
        }
        if let unsentNode, let text = string(unsentNode, key: "unsent") {
            if let choice = UnsentPolicy(rawValue: text) {
                rules.unsent = choice
            } else {
                report(unsentNode, key: "unsent", "must be keep, redact or delete (got '\(ConfigIssue.clip(text))')")
            }
        }
        return (rules, warnings)
    }

    /// A mapping of kind to keep duration (`keep.chat_types.<type>`, `keep.channels.<name>`),
    /// in the file's order; unknown kinds and bad durations are reported and left out.
    mutating func keepKinds(_ node: Node, path: String) -> [(MessageKind, KeepDuration, Node)] {
        guard let entries = mapping(node, key: path) else { return [] }
        var result: [(MessageKind, KeepDuration, Node)] = []
        for entry in entries {
            let key = "\(path).\(entry.name)"
            guard let kind = MessageKind(rawValue: entry.name) else {
                report(entry.keyNode, key: key, "unknown kind '\(ConfigIssue.clip(entry.name))' "
                       + "(expected \(MessageKind.allCases.map(\.rawValue).joined(separator: ", ")))")
                continue
            }
            if let duration = keepDuration(entry.value, key: key) { result.append((kind, duration, entry.value)) }
        }
        return result
    }

    /// A keep duration: `forever`, or a duration longer than zero and at most 100y.
    mutating func keepDuration(_ node: Node, key: String) -> KeepDuration? {
        guard let text = string(node, key: key) else { return nil }
        if text == "forever" { return .forever }
        let value: RetentionDuration
        do { value = try RetentionDuration(parsing: text) } catch {
            report(node, key: key, "bad duration '\(ConfigIssue.clip(text))': \(error) (write it like 7y, 400d or 1y180d, or forever)")
            return nil
        }
        guard value.seconds > 0 else {
            report(node, key: key, "must be longer than zero (got \(value)); to keep for ever, write forever")
            return nil
        }
        guard value.seconds <= Self.longestDuration.seconds else {
            report(node, key: key, "must be at most 100y, or forever (got '\(ConfigIssue.clip(text))')")
            return nil
        }
        return .span(value)
    }
}
