/// How long LINE keeps each kind of content, per chat type, and how early to worry.
public struct RetentionPolicy: Sendable, Equatable {
    /// The window per kind, for every kind.
    public private(set) var windows: [MessageKind: RetentionDuration]
    /// Windows that differ for one chat type.
    public private(set) var overrides: [ChatType: [MessageKind: RetentionDuration]]
    /// An item is at risk once its deadline is nearer than this.
    public var safetyMargin: RetentionDuration
    /// Windows one channel keeps differently (`channels[].windows`), over every chat type.
    public var channelWindows: [String: [MessageKind: RetentionDuration]] = [:]

    /// LINE's published figures: text, stickers and locations 1 year, images, videos and audio
    /// 2 weeks, files 1 week. Unknown types get the shortest window, to be safe.
    public static let lineDefaults = RetentionPolicy(windows: defaultWindows, safetyMargin: .days(2))

    /// The window per kind in `lineDefaults`.
    public static let defaultWindows: [MessageKind: RetentionDuration] = [
        .text: .days(365), .sticker: .days(365), .location: .days(365),
        .image: .days(14), .video: .days(14), .audio: .days(14),
        .file: .days(7), .unknown: .days(7),
    ]

    /// Builds a policy; kinds missing from `windows` take LINE's defaults.
    public init(windows: [MessageKind: RetentionDuration],
                overrides: [ChatType: [MessageKind: RetentionDuration]] = [:],
                safetyMargin: RetentionDuration) {
        var complete = windows
        for kind in MessageKind.allCases where complete[kind] == nil {
            complete[kind] = Self.defaultWindows[kind]
        }
        self.windows = complete
        self.overrides = overrides.filter { !$0.value.isEmpty }
        self.safetyMargin = safetyMargin
    }

    /// The window for `kind` in a chat of type `chat`.
    public func window(for kind: MessageKind, in chat: ChatType) -> RetentionDuration {
        overrides[chat]?[kind] ?? windows[kind]!
    }

    /// True when the window for (kind, chat) comes from an override.
    public func isOverridden(_ kind: MessageKind, in chat: ChatType) -> Bool {
        overrides[chat]?[kind] != nil
    }

    /// The window for `kind` in a chat of type `chat` of `channel`: the channel's own first.
    public func window(for kind: MessageKind, in chat: ChatType, channel: String) -> RetentionDuration {
        channelWindows[channel]?[kind] ?? window(for: kind, in: chat)
    }

    /// When LINE is expected to delete content of `kind` sent at `sentAt` in a `chat` chat.
    public func deadline(sentAt: Instant, kind: MessageKind, chat: ChatType, channel: String = ChannelName.implicit) -> Instant {
        sentAt.adding(window(for: kind, in: chat, channel: channel))
    }

    /// How close a message in `state` with `deadline` is to being lost, or nil when nothing is
    /// owed (archived, lost, unsent).
    public func risk(state: MessageState, deadline: Instant, now: Instant) -> Risk? {
        guard state.isPending else { return nil }
        if now >= deadline { return .overdue }
        if now >= deadline.adding(RetentionDuration(seconds: -safetyMargin.seconds)) { return .atRisk }
        return .ok
    }

    /// Every (kind, chat type) pair with its effective window, in a fixed order.
    public var effectiveRows: [PolicyRow] {
        MessageKind.allCases.flatMap { kind in
            ChatType.allCases.map { chat in
                PolicyRow(kind: kind, chatType: chat, window: window(for: kind, in: chat),
                          margin: safetyMargin, overridden: isOverridden(kind, in: chat))
            }
        }
    }

    /// A stable text that changes exactly when any deadline would change.
    public var fingerprint: String {
        let rows = effectiveRows.map { "\($0.kind.rawValue)/\($0.chatType.rawValue)=\($0.window.seconds)" }
        // Channel windows only add to the text, so a file without them keeps its fingerprint.
        let channels = channelWindows.keys.sorted().flatMap { channel in
            MessageKind.allCases.compactMap { kind in channelWindows[channel]?[kind].map { "\(channel):\(kind.rawValue)=\($0.seconds)" } }
        }
        return (rows + channels).joined(separator: ";")
    }
}

/// One line of the effective policy.
public struct PolicyRow: Sendable, Equatable {
    public let kind: MessageKind
    public let chatType: ChatType
    public let window: RetentionDuration
    public let margin: RetentionDuration
    public let overridden: Bool

    /// How long after sending the item becomes at risk if not yet archived.
    public var atRiskAfter: RetentionDuration { RetentionDuration(seconds: window.seconds - margin.seconds) }
}

/// How close a pending item is to its deadline.
public enum Risk: String, Sendable, Codable {
    /// The deadline is further away than the safety margin.
    case ok
    /// The deadline is nearer than the safety margin.
    case atRisk = "at_risk"
    /// The deadline has passed and the item is still not archived.
    case overdue
}
