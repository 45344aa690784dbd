import CSVText
import DurableFile
import Foundation
import JSON
import LINE
import Lookup
import Packing
import Store
import TalkVaultDomain

/// What a disclosure is of, and for whom it is made.
public struct DisclosureRequest: Sendable {
    /// The LINE user id the disclosure is about.
    public var userId: String
    /// The directory it goes to: it must not exist, or be empty.
    public var directory: String
    /// Times are written in this zone, with its offset.
    public var timeZone: TimeZone
    public var now: Instant
    /// Who made it, for the manifest.
    public var by: String
    public var toolVersion: String

    public init(userId: String, directory: String, timeZone: TimeZone, now: Instant, by: String, toolVersion: String) {
        self.userId = userId
        self.directory = directory
        self.timeZone = timeZone
        self.now = now
        self.by = by
        self.toolVersion = toolVersion
    }
}

/// What a disclosure wrote.
public struct DisclosureResult: Sendable, Equatable {
    public var userId: String
    public var directory: String
    /// Every message listed.
    public var messages = 0
    /// Those of the 1:1 chat (both sides), and those the user sent in groups and rooms.
    public var chatMessages = 0
    public var groupMessages = 0
    public var incoming = 0
    public var outgoing = 0
    /// Content restored under `files/`, and its bytes.
    public var files = 0
    public var fileBytes: UInt64 = 0
    /// Messages with content that is not archived (yet), by state (`content_due`, `lost:expired`, …).
    public var notArchived: [String: Int] = [:]
    /// Display names listed in `profile.json`.
    public var displayNames = 0
    /// Every file in the directory except the manifest, and their bytes.
    public var writtenFiles = 0
    public var writtenBytes: UInt64 = 0

    public var manifestPath: String { directory + "/manifest.json" }
}

public enum DisclosureError: Error, Equatable, CustomStringConvertible {
    /// The directory has files in it already.
    case notEmpty(String)
    /// The path is a file, not a directory.
    case notADirectory(String)
    /// Nothing in the ledger is of this user: no message, no display name.
    case unknownUser(String)
    /// A restored file does not have the SHA-256 the ledger recorded for the content.
    case contentMismatch(id: String, expected: String, actual: String)
    case io(String)

    public var description: String {
        switch self {
        case .notEmpty(let path): return "\(path) is not empty: a disclosure goes to a new or empty directory"
        case .notADirectory(let path): return "\(path) is not a directory"
        case .unknownUser(let id): return "no user \(id) in the ledger: no message of theirs or to them, and no display name"
        case .contentMismatch(let id, let expected, let actual):
            return "message \(id): the restored content has SHA-256 \(actual), the ledger recorded \(expected)"
        case .io(let detail): return detail
        }
    }
}

/// `talkvault disclose`: everything TalkVault holds about one person, for a disclosure request
/// (APPI 第33条): their messages as CSV and JSON, the archived content of each, the display names
/// known for them, and a manifest of every file with its SHA-256. See docs/disclosure.md.
public struct Discloser {
    /// The columns of `messages.csv`, and the keys of each object of `messages.json`. New ones go
    /// at the end.
    public static let columns = ["id", "sent_at", "chat_type", "chat_id", "chat_name", "channel", "direction", "source", "sender_id",
                                 "sender_name", "kind", "state", "reason", "edited", "text", "original_text", "file_name", "content_type",
                                 "content_size", "content_sha256", "file"]
    public static let format = "talkvault-disclosure/1"

    let search: any SearchStore
    let index: any ArchiveIndex
    let profiles: any ProfileHistoryStore
    let archiveDir: String
    let csv = CSVFormat()

    public init(search: any SearchStore, index: any ArchiveIndex, profiles: any ProfileHistoryStore, archiveDir: String) {
        self.search = search
        self.index = index
        self.profiles = profiles
        self.archiveDir = archiveDir
    }

    /// Writes the disclosure. Nothing is written when the directory is not new or empty, or the
    /// user is unknown; when a step fails, what was written is removed again.
    /// - Parameter progress: (done, total) while `find`'s index catches up.
    public func run(_ request: DisclosureRequest, progress: (Int, Int) -> Void = { _, _ in }) throws -> DisclosureResult {
        let directory = request.directory
        let existed = try Self.checkEmpty(directory)
        try Finder.catchUp(search, progress: progress)
        var messages = UserMessages(store: search, userId: request.userId)
        let names = try profiles.knownNames(userId: request.userId)
        // The first message of either part, or a name, says the ledger knows the user.
        guard try messages.hasAny() || !names.isEmpty else { throw DisclosureError.unknownUser(request.userId) }

        let output = DisclosureOutput(directory: directory, createdDirectory: !existed)
        do {
            let result = try write(request, messages: &messages, names: names, into: output)
            try output.finish()
            return result
        } catch {
            output.removeAll()
            throw error
        }
    }

    private func write(_ request: DisclosureRequest, messages: inout UserMessages, names: [KnownName],
                       into output: DisclosureOutput) throws -> DisclosureResult {
        let zone = request.timeZone
        var result = DisclosureResult(userId: request.userId, directory: request.directory)
        try output.create()
        let csvFile = try output.open("messages.csv")
        let jsonFile = try output.open("messages.json")
        try output.write(csvFile, [0xEF, 0xBB, 0xBF] + Array(csv.line(Self.columns).utf8))
        try output.write(jsonFile, Array("[".utf8))
        let restorer = Restorer(index: index, archiveDir: archiveDir)
        let restoredNames = RestoreNames()
        var chats = ChatTally()
        var namesOnMessages: [String] = []

        while let (found, part) = try messages.next() {
            let row = found.row
            var file: String?
            if row.contentSegment != nil, try index.archivedParts(id: row.id)?.content != nil {
                let restored = try output.restore(row.id, restorer: restorer, names: restoredNames)
                if let expected = row.contentSHA256, expected != restored.sha256 {
                    throw DisclosureError.contentMismatch(id: row.id, expected: expected, actual: restored.sha256)
                }
                file = restored.path
                result.files += 1
                result.fileBytes += restored.bytes
            } else if row.kind.hasContent {
                result.notArchived[row.state == .lost ? "lost:\(row.reason ?? "unknown")" : row.state.rawValue, default: 0] += 1
            }
            // Content type, size and an edited message's first text are only in the detail.
            let detail = row.kind.hasContent || row.edited ? try search.detail(id: row.id) : nil
            let fields = Self.fields(found, detail: detail, file: file, zone: zone)
            try output.write(csvFile, Array(csv.line(fields.map { Self.csvText($0.1, column: $0.0) }).utf8))
            try output.write(jsonFile, Array(((result.messages == 0 ? "\n" : ",\n") + JSONValue.object(Dictionary(uniqueKeysWithValues: fields)).canonicalJSON()).utf8))

            result.messages += 1
            if part == .chat { result.chatMessages += 1 } else { result.groupMessages += 1 }
            if row.direction == .outgoing { result.outgoing += 1 } else { result.incoming += 1 }
            chats.add(row, zone: zone)
            if row.senderId == request.userId, let name = row.senderName, !namesOnMessages.contains(name) { namesOnMessages.append(name) }
        }
        try output.write(jsonFile, Array("\n]\n".utf8))
        try output.publish(csvFile)
        try output.publish(jsonFile)

        let displayNames = Self.displayNames(names, onMessages: namesOnMessages, zone: zone)
        result.displayNames = displayNames.count
        let profile: JSONValue = .object([
            "user_id": .string(request.userId),
            "display_names": .array(displayNames),
            "chats": .array(chats.summaries),
        ])
        let profileFile = try output.open("profile.json")
        try output.write(profileFile, Array((profile.canonicalJSON() + "\n").utf8))
        try output.publish(profileFile)

        result.writtenFiles = output.count
        result.writtenBytes = output.bytes
        var counts: [String: JSONValue] = [
            "chat_messages": .int(Int64(result.chatMessages)), "group_messages": .int(Int64(result.groupMessages)),
            "incoming": .int(Int64(result.incoming)), "outgoing": .int(Int64(result.outgoing)),
            "files": .int(Int64(result.files)), "file_bytes": .int(Int64(result.fileBytes)), "display_names": .int(Int64(result.displayNames)),
        ]
        counts["not_archived"] = .object(result.notArchived.mapValues { .int(Int64($0)) })
        try output.writeManifest([
            "format": .string(Self.format),
            "user_id": .string(request.userId),
            "created_at": .string(request.now.rfc3339(in: zone)),
            "created_by": .string(request.by),
            "timezone": .string(zone.identifier),
            "talkvault_version": .string(request.toolVersion),
            "messages": .int(Int64(result.messages)),
            "counts": .object(counts),
        ])
        return result
    }

    /// The directory must not exist, or be an empty directory; true when it exists.
    static func checkEmpty(_ path: String) throws -> Bool {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return false }
        guard isDirectory.boolValue else { throw DisclosureError.notADirectory(path) }
        let entries: [String]
        do { entries = try FileManager.default.contentsOfDirectory(atPath: path) } catch {
            throw DisclosureError.io("cannot list \(path): \(error.localizedDescription)")
        }
        guard entries.isEmpty else { throw DisclosureError.notEmpty(path) }
        return true
    }

    /// One message's columns, in `columns`' order.
    static func fields(_ found: FoundMessage, detail: MessageDetail?, file: String?, zone: TimeZone) -> [(String, JSONValue)] {
        let row = found.row
        func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        let summary = row.kind == .file ? "" : MessageText.summary(kind: row.kind, text: row.text, fileName: row.fileName, eventJSON: row.eventJSON)
        let original = detail.flatMap { $0.record.edited ? $0.record.originalText : nil }
        let size = found.contentSize ?? detail?.record.fileSize
        return [
            ("id", .string(row.id)), ("sent_at", .string(row.sentAt.rfc3339(in: zone))), ("chat_type", .string(row.chatType)),
            ("chat_id", .string(row.chatId)), ("chat_name", text(row.chatName)), ("channel", .string(row.channel)),
            ("direction", .string(row.direction.rawValue)), ("source", .string(row.source.rawValue)), ("sender_id", text(row.senderId)),
            ("sender_name", text(row.senderName)), ("kind", .string(row.kind.rawValue)), ("state", .string(row.state.rawValue)),
            ("reason", text(row.reason)), ("edited", .bool(row.edited)),
            ("text", summary.isEmpty && row.kind != .text ? .null : .string(summary)), ("original_text", text(original)),
            ("file_name", text(row.fileName)), ("content_type", text(detail?.contentType)), ("content_size", size.map(JSONValue.int) ?? .null),
            ("content_sha256", text(row.contentSHA256)), ("file", text(file)),
        ]
    }

    /// A value as a CSV cell. A file's name as sent may hold control or bidi characters
    /// (`invoice\u{202E}fdp.exe` shows as `invoiceexe.pdf`): the cell shows them as `<U+202E>`.
    static func csvText(_ value: JSONValue, column: String) -> String {
        switch value {
        case .null: return ""
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .string(let s): return column == "file_name" ? CSVFormat.visible(s) : s
        case .array, .object: return value.canonicalJSON()
        }
    }


    /// `profile.json`'s names: the profiles' (current, then earlier), then names only their
    /// messages carry (a chat backup's rows name the sender as the backup did).
    static func displayNames(_ names: [KnownName], onMessages: [String], zone: TimeZone) -> [JSONValue] {
        var listed = names.map { name -> JSONValue in
            .object([
                "name": .string(name.name), "chat_id": name.chatId.map(JSONValue.string) ?? .null, "current": .bool(name.current),
                "seen_at": name.seenAt.map { .string($0.rfc3339(in: zone)) } ?? .null, "source": .string("profile"),
            ])
        }
        let known = Set(names.map(\.name))
        for name in onMessages where !known.contains(name) {
            listed.append(.object(["name": .string(name), "chat_id": .null, "current": .null, "seen_at": .null, "source": .string("messages")]))
        }
        return listed
    }
}

/// The chats a disclosure's messages are in, for `profile.json`: one entry per chat, however
/// many messages.
struct ChatTally {
    private struct Entry {
        var type: String
        var id: String
        var name: String?
        var messages = 0
        var first: Instant
        var last: Instant
    }

    private var entries: [String: Entry] = [:]
    private var order: [String] = []
    private var zone = TimeZone(identifier: "UTC")!

    mutating func add(_ row: ExportRow, zone: TimeZone) {
        self.zone = zone
        if entries[row.chatId] == nil {
            entries[row.chatId] = Entry(type: row.chatType, id: row.chatId, name: row.chatName, first: row.sentAt, last: row.sentAt)
            order.append(row.chatId)
        }
        entries[row.chatId]!.messages += 1
        entries[row.chatId]!.last = row.sentAt
    }

    var summaries: [JSONValue] {
        order.compactMap { entries[$0] }.map { entry in
            .object([
                "chat_type": .string(entry.type), "chat_id": .string(entry.id), "chat_name": entry.name.map(JSONValue.string) ?? .null,
                "messages": .int(Int64(entry.messages)), "first_sent_at": .string(entry.first.rfc3339(in: zone)),
                "last_sent_at": .string(entry.last.rfc3339(in: zone)),
            ])
        }
    }
}
