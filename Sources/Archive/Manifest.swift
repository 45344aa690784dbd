import Foundation

/// `MANIFEST.json`, the last entry of every segment: where each member, entry and message
/// record is, with their checksums, and the link to the previous segment.
public struct Manifest: Codable, Sendable, Equatable {
    public static let formatName = "talkvault-segment/1"

    public var format: String
    /// The segment's path under the archive dir.
    public var segment: String
    /// Position in the hash chain, from 1.
    public var sequence: Int
    /// When it was packed, Unix milliseconds.
    public var createdAtMs: Int64
    public var toolVersion: String
    /// The previous segment in the chain; nil for the first.
    public var previous: ChainLink?
    /// SHA-256 of every byte of this file before the manifest's member.
    public var contentSHA256: String
    public var members: [Member]
    public var entries: [Entry]
    /// Lines of `messages.jsonl`. Where each one is lives in the ledger, and a scan of the
    /// entry's members finds them again; listing them here would cost a hash per record.
    public var recordCount: Int
    /// The purges that rewrote this segment, oldest first: each names the file it replaced (a
    /// later segment may still link to that file's hash) and what left it under which rule.
    /// Absent in a segment never rewritten, so those keep their bytes.
    public var rewrites: [Rewrite]? = nil

    /// One rewrite of a segment by a purge.
    public struct Rewrite: Codable, Sendable, Equatable {
        /// The replaced file's path and whole-file SHA-256.
        public var replaced: ChainLink
        public var atMs: Int64
        public var removed: [Removed]

        public init(replaced: ChainLink, atMs: Int64, removed: [Removed]) {
            self.replaced = replaced
            self.atMs = atMs
            self.removed = removed
        }

        enum CodingKeys: String, CodingKey {
            case replaced, removed
            case atMs = "at_ms"
        }
    }

    /// One item a rewrite left out: a message's record or content entry, and the rule.
    public struct Removed: Codable, Sendable, Equatable {
        public var messageId: String
        /// `record` or `content`.
        public var item: String
        public var rule: String

        public init(messageId: String, item: String, rule: String) {
            self.messageId = messageId
            self.item = item
            self.rule = rule
        }

        enum CodingKeys: String, CodingKey {
            case item, rule
            case messageId = "message_id"
        }
    }

    /// The previous segment's path and the SHA-256 of its whole file.
    public struct ChainLink: Codable, Sendable, Equatable {
        public var segment: String
        public var sha256: String
        public init(segment: String, sha256: String) {
            self.segment = segment
            self.sha256 = sha256
        }
    }

    /// One gzip member: where it is in the file, and how many tar-stream bytes it inflates to.
    public struct Member: Codable, Sendable, Equatable {
        public var offset: UInt64
        public var length: UInt64
        public var uncompressedLength: UInt64
        /// The member's own CRC-32, as in its gzip trailer.
        public var crc32: UInt32

        enum CodingKeys: String, CodingKey {
            case offset, length, crc32
            case uncompressedLength = "uncompressed_length"
        }
    }

    /// One tar entry: its data starts in member `member`, `dataOffset` bytes into that member's
    /// inflated bytes, and runs through `memberCount` consecutive members (one, except for
    /// `messages.jsonl`, whose members each hold whole records).
    public struct Entry: Codable, Sendable, Equatable {
        public var name: String
        public var originalName: String?
        public var messageId: String?
        public var contentType: String?
        public var member: Int
        public var memberCount: Int
        /// Offset of the entry's header in the tar stream.
        public var tarOffset: UInt64
        public var dataOffset: UInt64
        public var size: UInt64
        public var crc32: UInt32
        public var sha256: String
        /// True when stored rather than deflated.
        public var stored: Bool

        enum CodingKeys: String, CodingKey {
            case name, member, size, crc32, sha256, stored
            case originalName = "original_name", messageId = "message_id", contentType = "content_type"
            case tarOffset = "tar_offset", dataOffset = "data_offset", memberCount = "member_count"
        }
    }

    /// One line of `messages.jsonl`; a line never spans members. Not stored in the manifest.
    public struct Record: Codable, Sendable, Equatable {
        public var messageId: String
        public var member: Int
        public var offset: UInt64
        public var length: UInt64
        public var sha256: String

        enum CodingKeys: String, CodingKey {
            case member, offset, length, sha256
            case messageId = "message_id"
        }
    }

    enum CodingKeys: String, CodingKey {
        case format, segment, sequence, previous, members, entries, rewrites
        case recordCount = "record_count"
        case createdAtMs = "created_at_ms", toolVersion = "tool_version", contentSHA256 = "content_sha256"
    }

    /// Deterministic JSON: sorted keys, so the same segment gives the same bytes.
    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self))
    }

    public static func decode(_ bytes: [UInt8]) throws -> Manifest {
        let decoder = JSONDecoder()
        return try decoder.decode(Manifest.self, from: Data(bytes))
    }
}

/// Where one item is: enough to read it back without the manifest.
public struct ItemLocation: Sendable, Equatable, Codable {
    /// The segment's path under the archive dir.
    public var segment: String
    public var memberOffset: UInt64
    public var memberLength: UInt64
    /// Where the item's bytes start among the member's inflated bytes.
    public var offsetInMember: UInt64
    public var length: UInt64
    public var sha256: String

    public init(segment: String, memberOffset: UInt64, memberLength: UInt64, offsetInMember: UInt64, length: UInt64, sha256: String) {
        self.segment = segment
        self.memberOffset = memberOffset
        self.memberLength = memberLength
        self.offsetInMember = offsetInMember
        self.length = length
        self.sha256 = sha256
    }
}

extension Manifest {
    /// Where `entry` is: its members are consecutive, so one range of the file holds it.
    public func location(of entry: Entry) -> ItemLocation {
        let first = members[entry.member], last = members[entry.member + max(1, entry.memberCount) - 1]
        return ItemLocation(segment: segment, memberOffset: first.offset, memberLength: last.offset + last.length - first.offset,
                            offsetInMember: entry.dataOffset, length: entry.size, sha256: entry.sha256)
    }

    /// True when `link` names a file this segment replaced: a later segment's link to it holds.
    public func replaced(_ link: ChainLink) -> Bool { rewrites?.contains { $0.replaced == link } ?? false }

    /// The entries that have bytes in each member: an entry alone in all of its members
    /// (`owners[i] == 1` for each) can be copied as those members, whole.
    public var memberOwners: [Int] {
        var owners = [Int](repeating: 0, count: members.count)
        for entry in entries {
            for index in entry.member..<min(members.count, entry.member + max(1, entry.memberCount)) { owners[index] += 1 }
        }
        return owners
    }

    /// The `messages.jsonl` entry, when the segment has records.
    public var recordsEntry: Entry? { entries.first { $0.name == "messages.jsonl" && $0.messageId == nil } }

    /// Where `record` is.
    public func location(of record: Record) -> ItemLocation {
        let member = members[record.member]
        return ItemLocation(segment: segment, memberOffset: member.offset, memberLength: member.length,
                            offsetInMember: record.offset, length: record.length, sha256: record.sha256)
    }
}
