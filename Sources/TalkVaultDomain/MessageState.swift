/// Why an item could not be saved. Every loss carries one.
public enum LossReason: String, CaseIterable, Sendable, Codable {
    /// LINE answered 404, or 410 without an unsend event, after the item's deadline: its window had closed.
    case expired
    /// LINE answered 404 before the deadline: unknown or already deleted.
    case notFound = "not_found"
    /// LINE reported that transcoding the video or audio failed.
    case transcodingFailed = "transcoding_failed"
    /// An `external` content URL failed permanently.
    case externalUnavailable = "external_unavailable"
    /// Known only from an OA Manager chat backup, which shows a placeholder (`[写真]`) instead
    /// of the content: no webhook brought it, so there was nothing to download.
    case notCaptured = "not_captured"
}

/// Where a message stands in capture. How it moves is `MessageState.table` (StateTable.swift),
/// drawn in docs/state-machine.md.
public enum MessageState: String, CaseIterable, Sendable, Codable {
    /// Captured; the record waits to be packed into an archive.
    case received
    /// Captured; its content waits to be downloaded from LINE.
    case contentDue = "content_due"
    /// Content downloaded and verified; waits to be packed.
    case downloaded
    /// Record (and content, if any) sealed in an archive segment.
    case archived
    /// The content could not be saved; `LossReason` says why.
    case lost
    /// The user unsent the message.
    case unsent

    /// The state a newly captured message starts in.
    public static func initial(kind: MessageKind, unsent: Bool) -> MessageState {
        if unsent { return .unsent }
        return kind.hasContent ? .contentDue : .received
    }

    /// True when nothing more will happen to the message's content.
    public var isTerminal: Bool {
        switch self {
        case .lost, .unsent: return true
        case .received, .contentDue, .downloaded, .archived: return false
        }
    }

    /// True while TalkVault still owes work before the deadline: not archived, not terminal.
    public var isPending: Bool {
        switch self {
        case .received, .contentDue, .downloaded: return true
        case .archived, .lost, .unsent: return false
        }
    }

    /// The pending states, for queries.
    public static let pending: [MessageState] = allCases.filter(\.isPending)
}

/// Where read state comes from for messages nobody marked: LINE's own `markAsReadMode`
/// (asked through `/v2/bot/info`), or forced either way by the config.
public enum ReadMode: String, Sendable, CaseIterable {
    /// Ask LINE: `auto` there means every message counts as read on arrival.
    case line
    /// Every message counts as read on arrival.
    case auto
    /// Only `mark-read` (or the endpoint) marks messages read.
    case manual
}
