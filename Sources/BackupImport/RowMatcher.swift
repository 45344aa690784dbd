import ChatBackup
import Store
import TalkVaultDomain

/// What makes a backup row and a stored message the same message: the same second, the same
/// side, and the same text (for media, the same kind as the placeholder; for an unsent
/// message, its unsending). Pure: matching is domain logic without I/O.
public struct MatchKey: Hashable, Sendable {
    public var second: Int64
    public var direction: MessageDirection
    public var what: String

    /// A backup row's key.
    public init(_ row: BackupRow) {
        second = Self.second(row.sentAt)
        direction = row.sender == .account ? .outgoing : .incoming
        switch row.placeholder {
        case .unsent?: what = "unsent"
        case let placeholder?: what = "kind:" + (placeholder.kind?.rawValue ?? "unknown")
        case nil: what = "text:" + Self.normalized(Self.unguarded(row.content))
        }
    }

    /// A stored message's key, as a backup would show it.
    public init(_ message: StoredMessage) {
        self.init(message, asUnsent: message.state == .unsent)
    }

    /// A stored message's key as the backup shows it when it was (`asUnsent`) or was not yet
    /// unsent: a backup downloaded before the unsend still has the text.
    init(_ message: StoredMessage, asUnsent: Bool) {
        second = Self.second(message.sentAt)
        direction = message.direction
        if asUnsent {
            what = "unsent"
        } else if message.kind == .text {
            what = "text:" + Self.normalized(message.text ?? "")
        } else {
            what = "kind:" + message.kind.rawValue
        }
    }

    /// The text without the `'` a spreadsheet guard put before `=`, `+`, `-` or `@` (as
    /// TalkVault's own `line` export does, and LINE's backup may).
    static func unguarded(_ text: String) -> String {
        let bytes = text.utf8
        guard bytes.count >= 2, bytes.first == 0x27, let next = bytes.dropFirst().first, [0x3D, 0x2B, 0x2D, 0x40].contains(next) else {
            return text
        }
        return String(text.dropFirst())
    }

    /// Floor division: a backup gives times to the second.
    static func second(_ instant: Instant) -> Int64 {
        let ms = instant.milliseconds
        return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000)
    }

    /// Line breaks compared without carriage returns: the backup writes `\r\n` (or
    /// `_x000D_`), webhooks `\n`.
    static func normalized(_ text: String) -> String {
        text.utf8.contains(13) ? String(decoding: text.utf8.filter { $0 != 13 }, as: UTF8.self) : text
    }
}

/// Pairs rows with stored messages by key, in order among equals: the first row of a key
/// with the first stored message of that key, and so on. Two 「はい」 in one second are two
/// messages, whichever copy of the backup brings them.
public enum RowMatcher {
    /// One row's outcome: the stored message it is, or its position among the equal rows
    /// that are new (the position makes its id).
    public enum Outcome: Equatable, Sendable {
        case matched(id: String)
        case new(ordinal: Int)
    }

    /// The outcome of each of `keys`, in order.
    public static func pair(_ keys: [MatchKey], with stored: [StoredMessage]) -> [Outcome] {
        var waiting: [MatchKey: [String]] = [:]
        for message in stored.sorted(by: { ($0.sentAt.milliseconds, $0.id) < ($1.sentAt.milliseconds, $1.id) }) {
            waiting[MatchKey(message), default: []].append(message.id)
        }
        var used: [MatchKey: Int] = [:]
        var taken = Set<String>()
        var outcomes: [Outcome] = keys.map { key in
            let position = used[key, default: 0]
            used[key] = position + 1
            if let ids = waiting[key], position < ids.count {
                taken.insert(ids[position])
                return .matched(id: ids[position])
            }
            return .new(ordinal: position)
        }
        // Second pass, for unsends the backup and the ledger saw at different times: a row
        // still showing the text of a message unsent since, and an unsent row whose unsend has
        // not reached TalkVault, each take a message of their second and side left unmatched.
        let left = stored.sorted { ($0.sentAt.milliseconds, $0.id) < ($1.sentAt.milliseconds, $1.id) }.filter { !taken.contains($0.id) }
        guard !left.isEmpty else { return outcomes }
        for (index, key) in keys.enumerated() {
            guard case .new = outcomes[index] else { continue }
            let candidate = left.first { message in
                guard !taken.contains(message.id), MatchKey.second(message.sentAt) == key.second, message.direction == key.direction else {
                    return false
                }
                return key.what == "unsent" || (message.state == .unsent && MatchKey(message, asUnsent: false) == key)
            }
            if let candidate {
                taken.insert(candidate.id)
                outcomes[index] = .matched(id: candidate.id)
            }
        }
        return outcomes
    }

    /// For settling an unmatched chat: which held messages are copies of a target message.
    public static func copies(held: [StoredMessage], in target: [StoredMessage]) -> [String: String] {
        let ordered = held.sorted { ($0.sentAt.milliseconds, $0.id) < ($1.sentAt.milliseconds, $1.id) }
        var result: [String: String] = [:]
        for (message, outcome) in zip(ordered, pair(ordered.map(MatchKey.init), with: target)) {
            if case .matched(let id) = outcome { result[message.id] = id }
        }
        return result
    }
}
