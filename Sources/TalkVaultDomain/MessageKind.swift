/// What a message is. LINE's `message.type` maps onto these; types LINE adds later are `unknown`.
public enum MessageKind: String, CaseIterable, Sendable, Codable, Comparable {
    case text, sticker, location, image, video, audio, file, unknown

    /// Maps LINE's `message.type`; anything unrecognised is `.unknown`.
    public init(lineType: String) {
        self = MessageKind(rawValue: lineType).flatMap { $0 == .unknown ? nil : $0 } ?? .unknown
    }

    /// True when the message has content to download from LINE before it expires.
    public var hasContent: Bool {
        switch self {
        case .image, .video, .audio, .file: return true
        case .text, .sticker, .location, .unknown: return false
        }
    }

    /// True for content LINE may still be transcoding (answers 202).
    public var mayTranscode: Bool { self == .video || self == .audio }

    public static func < (lhs: MessageKind, rhs: MessageKind) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// Where a message was sent: a 1:1 chat with a user, a group, or a multi-person room.
public enum ChatType: String, CaseIterable, Sendable, Codable, Comparable {
    case user, group, room

    public static func < (lhs: ChatType, rhs: ChatType) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// A chat: its type and LINE id (`userId`, `groupId` or `roomId`).
public struct ChatRef: Sendable, Hashable, Codable {
    public var type: ChatType
    public var id: String

    public init(type: ChatType, id: String) {
        self.type = type
        self.id = id
    }
}
