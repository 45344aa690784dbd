/// How long TalkVault itself keeps things (`retention.yaml`'s `keep:` and `unsent:`), as
/// opposed to how long LINE keeps them (`RetentionPolicy`). A duration of nil is forever, the
/// default for everything, so a file without `keep:` deletes nothing.
public struct KeepRules: Sendable, Equatable {
    /// `keep.<kind>`: per kind, over every chat.
    public var kinds: [MessageKind: KeepDuration] = [:]
    /// `keep.chat_types.<type>.<kind>`: a chat type's own, over `kinds`.
    public var chatTypes: [ChatType: [MessageKind: KeepDuration]] = [:]
    /// `keep.channels.<name>.<kind>`: a channel's own, over `chatTypes` and `kinds`.
    public var channels: [String: [MessageKind: KeepDuration]] = [:]
    /// `keep.tags.<tag>`: a tag on the message or its chat; wins when longer than the kind's.
    public var tags: [String: KeepDuration] = [:]
    /// `keep.exports`: delivered weekly exports, from the end of their week.
    public var exports: KeepDuration = .forever
    /// `unsent:`: what happens to a message its sender unsent.
    public var unsent: UnsentPolicy = .keep

    public init(kinds: [MessageKind: KeepDuration] = [:], chatTypes: [ChatType: [MessageKind: KeepDuration]] = [:],
                channels: [String: [MessageKind: KeepDuration]] = [:], tags: [String: KeepDuration] = [:],
                exports: KeepDuration = .forever, unsent: UnsentPolicy = .keep) {
        self.kinds = kinds
        self.chatTypes = chatTypes
        self.channels = channels
        self.tags = tags.reduce(into: [:]) { $0[TagName.normalized($1.key)] = $1.value }
        self.exports = exports
        self.unsent = unsent
    }

    /// No keep rule ever runs out (every duration is forever), as by default; the unsent policy
    /// may still make unsent messages due.
    public var keepsEverything: Bool {
        kinds.values.allSatisfy(\.isForever) && chatTypes.values.allSatisfy { $0.values.allSatisfy(\.isForever) }
            && channels.values.allSatisfy { $0.values.allSatisfy(\.isForever) } && exports.isForever
    }

    /// The rule that decides how long a message is kept: the most specific of channel, chat
    /// type and kind, unless one of its tags keeps it longer.
    public func rule(kind: MessageKind, chatType: ChatType, channel: String, tags messageTags: some Sequence<String>) -> KeepRule {
        var base: KeepRule
        if let duration = channels[channel]?[kind] {
            base = KeepRule(name: "keep.channels.\(channel).\(kind.rawValue)", duration: duration)
        } else if let duration = chatTypes[chatType]?[kind] {
            base = KeepRule(name: "keep.chat_types.\(chatType.rawValue).\(kind.rawValue)", duration: duration)
        } else {
            base = KeepRule(name: "keep.\(kind.rawValue)", duration: kinds[kind] ?? .forever)
        }
        for tag in messageTags {
            let normalized = TagName.normalized(tag)
            if let duration = tags[normalized], duration > base.duration {
                base = KeepRule(name: "keep.tags.\(normalized)", duration: duration)
            }
        }
        return base
    }
}

/// A keep duration: a span, or forever.
public enum KeepDuration: Sendable, Hashable, Comparable, CustomStringConvertible {
    case forever
    case span(RetentionDuration)

    public var isForever: Bool { self == .forever }

    /// The span, or nil for forever.
    public var span: RetentionDuration? {
        if case .span(let span) = self { return span }
        return nil
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        switch (lhs, rhs) {
        case (.span(let a), .span(let b)): return a < b
        case (.span, .forever): return true
        case (.forever, _): return false
        }
    }

    /// When something made at `start` is due to go; nil for forever.
    public func due(from start: Instant) -> Instant? { span.map { start.adding($0) } }

    public var description: String { span?.description ?? "forever" }
}

/// One keep rule as applied: its name in `retention.yaml` (`keep.text`, `keep.tags.invoice`,
/// `unsent: delete`), recorded in tombstones and the audit trail, and its duration.
public struct KeepRule: Sendable, Hashable {
    public var name: String
    public var duration: KeepDuration

    public init(name: String, duration: KeepDuration) {
        self.name = name
        self.duration = duration
    }
}

/// What happens to a message its sender unsent. The default is `keep`: upgrading must delete
/// nothing, and whether an unsend outweighs a records law is the organisation's call, made in
/// `retention.yaml` (the shipped file recommends `redact`, which honours LINE's request).
public enum UnsentPolicy: String, Sendable, CaseIterable, Codable {
    /// The text and content stay, marked unsent.
    case keep
    /// The text and content go; the fact, the time and the sender stay.
    case redact
    /// Everything but a tombstone goes.
    case delete
}
