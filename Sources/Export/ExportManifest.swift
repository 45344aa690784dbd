import DurableFile
import Foundation

/// `talkvault-YYYY-Www.manifest.json`, beside each CSV.
public struct ExportManifest: Codable, Sendable, Equatable {
    public var week: String
    /// The channel (Official Account) the export is of.
    public var channel: String
    public var profile: String
    public var timezone: String
    /// Monday 00:00 and the next Monday 00:00, RFC 3339 with the zone's offset.
    public var start: String
    public var end: String
    /// Reads up to this time count; later ones go in a later export as late rows.
    public var readBy: String
    public var rows: Int
    public var weekRows: Int
    /// Messages of delivered weeks read since, carried into this export.
    public var lateRows: [String]
    public var unread: Unread
    public var lost: [Lost]
    public var csv: File
    public var toolVersion: String
    public var forced: Forced?
    /// Rows taken out after delivery (an erasure, an unsend): which message, why, when.
    public var redacted: [Redacted]? = nil

    public struct Redacted: Codable, Sendable, Equatable {
        public var messageId: String
        public var rule: String
        public var at: String
        enum CodingKeys: String, CodingKey { case rule, at, messageId = "message_id" }
    }

    public struct Unread: Codable, Sendable, Equatable {
        public var total: Int
        public var byChat: [String: Int]
        enum CodingKeys: String, CodingKey { case total, byChat = "by_chat" }
    }

    public struct Lost: Codable, Sendable, Equatable {
        public var messageId: String
        public var kind: String
        public var reason: String
        enum CodingKeys: String, CodingKey { case kind, reason, messageId = "message_id" }
    }

    public struct File: Codable, Sendable, Equatable {
        public var file: String
        public var sha256: String
        public var bytes: UInt64
    }

    public struct Forced: Codable, Sendable, Equatable {
        public var reason: String
        public var previousSHA256: String?
        enum CodingKeys: String, CodingKey { case reason, previousSHA256 = "previous_sha256" }
    }

    enum CodingKeys: String, CodingKey {
        case week, channel, profile, timezone, start, end, rows, unread, lost, csv, forced, redacted
        case readBy = "read_by", weekRows = "week_rows", lateRows = "late_rows", toolVersion = "tool_version"
    }

    /// Writes the manifest durably: temporary file, fsync, rename, directory fsync.
    func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let temporary = path + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"
        unlink(temporary)
        let out = try OutputFile(path: temporary)
        try out.write(Array(try encoder.encode(self)) + [0x0A])
        try out.syncAndClose()
        guard rename(temporary, path) == 0 else { unlink(temporary); throw ExportError.io("cannot write \(path)") }
        try Durable.syncDirectory((path as NSString).deletingLastPathComponent)
    }
}
