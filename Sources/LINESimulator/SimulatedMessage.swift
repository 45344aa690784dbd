import Foundation
import TalkVaultDomain

/// A message the simulated platform knows, and so can serve content for.
public struct SimulatedMessage: Sendable, Codable, Equatable {
    public var id: String
    public var kind: MessageKind
    public var chatType: ChatType
    public var chatId: String
    public var userId: String
    /// The message's `timestamp` (ms): content expires a window after it.
    public var timestamp: Int64
    /// Content length in bytes (0 for kinds without content).
    public var size: Int64
    /// The file name, for files.
    public var fileName: String?
    /// True when the content is on an external server rather than LINE's.
    public var external: Bool
    /// When the user unsent it (ms), if they did: LINE answers 410 from then on.
    public var unsentAt: Int64?
    /// The `markAsReadToken` its webhook carried: `markAsRead` accepts only tokens it issued.
    public var markAsReadToken: String?
    /// The channel (`SimulatedChannel.name`) it was sent to: only that channel's token gets its content.
    public var channel: String

    public init(id: String, kind: MessageKind, chatType: ChatType, chatId: String, userId: String, timestamp: Int64,
                size: Int64, fileName: String? = nil, external: Bool = false, unsentAt: Int64? = nil, markAsReadToken: String? = nil,
                channel: String = SimulatedChannel.defaultName) {
        self.id = id
        self.kind = kind
        self.chatType = chatType
        self.chatId = chatId
        self.userId = userId
        self.timestamp = timestamp
        self.size = size
        self.fileName = fileName
        self.external = external
        self.unsentAt = unsentAt
        self.markAsReadToken = markAsReadToken
        self.channel = channel
    }

    enum CodingKeys: String, CodingKey {
        case id, kind, chatType = "chat_type", chatId = "chat_id", userId = "user_id", timestamp, size
        case fileName = "file_name", external, unsentAt = "unsent_at", markAsReadToken = "mark_as_read_token", channel
    }

    /// `channel` may be absent (clients from before there were channels): the default channel.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        kind = try c.decode(MessageKind.self, forKey: .kind)
        chatType = try c.decode(ChatType.self, forKey: .chatType)
        chatId = try c.decode(String.self, forKey: .chatId)
        userId = try c.decode(String.self, forKey: .userId)
        timestamp = try c.decode(Int64.self, forKey: .timestamp)
        size = try c.decode(Int64.self, forKey: .size)
        fileName = try c.decodeIfPresent(String.self, forKey: .fileName)
        external = try c.decode(Bool.self, forKey: .external)
        unsentAt = try c.decodeIfPresent(Int64.self, forKey: .unsentAt)
        markAsReadToken = try c.decodeIfPresent(String.self, forKey: .markAsReadToken)
        channel = try c.decodeIfPresent(String.self, forKey: .channel) ?? SimulatedChannel.defaultName
    }
}

/// One line of the ground truth: what the simulator generated, so completeness can be measured.
public struct GroundTruthRecord: Sendable, Codable, Equatable {
    public var id: String
    public var kind: String
    public var chatId: String
    public var timestamp: Int64
    /// When the simulator stops serving the content (ms); nil for kinds without content.
    public var expiresAt: Int64?
    public var size: Int64
    /// SHA-256 of the content; nil for kinds without content.
    public var sha256: String?
    public var unsent: Bool
    /// The file name as sent, for files.
    public var fileName: String?
    /// How LINE's transcoding of a video or audio ends: `succeeded` or `failed` (then its content
    /// is never served). Absent for content LINE does not transcode (other kinds, `external`).
    public var transcode: String?
    /// The channel it was sent to.
    public var channel: String

    public init(id: String, kind: String, chatId: String, timestamp: Int64, expiresAt: Int64?, size: Int64, sha256: String?,
                unsent: Bool, fileName: String?, transcode: String?, channel: String = SimulatedChannel.defaultName) {
        self.id = id
        self.kind = kind
        self.chatId = chatId
        self.timestamp = timestamp
        self.expiresAt = expiresAt
        self.size = size
        self.sha256 = sha256
        self.unsent = unsent
        self.fileName = fileName
        self.transcode = transcode
        self.channel = channel
    }

    enum CodingKeys: String, CodingKey {
        case id, kind, chatId = "chat_id", timestamp, expiresAt = "expires_at", size, sha256, unsent
        case fileName = "file_name", transcode, channel
    }

    /// Lines written before there were channels have no `channel`: the default channel's.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        kind = try c.decode(String.self, forKey: .kind)
        chatId = try c.decode(String.self, forKey: .chatId)
        timestamp = try c.decode(Int64.self, forKey: .timestamp)
        expiresAt = try c.decodeIfPresent(Int64.self, forKey: .expiresAt)
        size = try c.decode(Int64.self, forKey: .size)
        sha256 = try c.decodeIfPresent(String.self, forKey: .sha256)
        unsent = try c.decode(Bool.self, forKey: .unsent)
        fileName = try c.decodeIfPresent(String.self, forKey: .fileName)
        transcode = try c.decodeIfPresent(String.self, forKey: .transcode)
        channel = try c.decodeIfPresent(String.self, forKey: .channel) ?? SimulatedChannel.defaultName
    }
}
