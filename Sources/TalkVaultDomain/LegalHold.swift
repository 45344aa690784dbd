/// A legal hold: a scope of messages that nothing may purge, redact or erase while it is
/// active. Its scope is a rule, not a list, so a message captured later that falls in it is
/// held from the moment it arrives. Every criterion given must hold; none given holds everything.
public struct LegalHold: Sendable, Equatable {
    public var name: String
    public var reason: String
    public var chats: [String]
    public var users: [String]
    public var channel: String?
    /// Sent at or after.
    public var since: Instant?
    /// Sent before.
    public var until: Instant?
    /// A tag on the message or on its chat.
    public var tag: String?
    public var createdAt: Instant
    public var createdBy: String
    public var released: Release?

    public struct Release: Sendable, Equatable {
        public var at: Instant
        public var by: String
        public var reason: String

        public init(at: Instant, by: String, reason: String) {
            self.at = at
            self.by = by
            self.reason = reason
        }
    }

    public init(name: String, reason: String, chats: [String] = [], users: [String] = [], channel: String? = nil, since: Instant? = nil,
                until: Instant? = nil, tag: String? = nil, createdAt: Instant, createdBy: String, released: Release? = nil) {
        self.name = name
        self.reason = reason
        self.chats = chats
        self.users = users
        self.channel = channel
        self.since = since
        self.until = until
        self.tag = tag
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.released = released
    }

    public var isActive: Bool { released == nil }
}

/// A tag's spelling: 1 to 40 letters, digits, `-` or `_` (Japanese letters included), at least
/// one a letter (so `tag add 1111 2222` with the tag forgotten is refused, not a tag `2222`), not
/// starting with `-`; compared in lower case (`Invoice` is `invoice`).
extension Array where Element == LegalHold {
    /// The first active hold that names `tag`: taking that tag off would release what it holds.
    public func activeHold(namingTag tag: String) -> LegalHold? { first { $0.isActive && $0.tag == tag } }
}

public enum TagName {
    public static func isValid(_ tag: String) -> Bool {
        (1...40).contains(tag.count) && !tag.hasPrefix("-") && tag.unicodeScalars.contains { $0.properties.isAlphabetic }
            && tag.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" }
    }

    /// The form a tag is stored and compared in.
    public static func normalized(_ tag: String) -> String { tag.lowercased() }
}
