import CSVText
import Foundation
import LINE
import Store
import TalkVaultDomain

/// How `find` prints: an aligned table for people, tab-separated lines for pipes, JSON lines
/// or CSV for programs.
public enum FindFormat: String, Sendable, CaseIterable {
    case table, tsv, json, csv
}

/// One found message, flattened for printing. Keys are the JSON and CSV column names.
struct FoundFields: Encodable {
    var id, sent_at, chat_type, chat_id: String
    var chat_name, sender_id, sender_name: String?
    var kind, state: String
    var reason: String?
    var edited: Bool
    var text: String
    var file_name, content_sha256: String?
    var content_size: Int64?
    var content_file, staged_file, record_segment, read_at, read_by: String?
    var channel: String
    var direction, source: String

    static let columns = ["id", "sent_at", "chat_type", "chat_id", "chat_name", "sender_id", "sender_name", "kind", "state", "reason",
                          "edited", "text", "file_name", "content_sha256", "content_size", "content_file", "staged_file",
                          "record_segment", "read_at", "read_by", "channel", "direction", "source"]

    init(_ found: FoundMessage, zone: TimeZone) {
        let row = found.row
        id = row.id
        sent_at = row.sentAt.rfc3339(in: zone)
        chat_type = row.chatType
        chat_id = row.chatId
        chat_name = row.chatName
        sender_id = row.senderId
        sender_name = row.senderName
        kind = row.kind.rawValue
        state = row.state.rawValue
        reason = row.reason
        edited = row.edited
        text = MessageText.summary(kind: row.kind, text: row.text, fileName: row.fileName, eventJSON: row.eventJSON)
        file_name = row.fileName
        content_sha256 = row.contentSHA256
        content_size = found.contentSize
        content_file = row.contentSegment.flatMap { segment in row.contentEntry.map { "\(segment):\($0)" } }
        staged_file = found.stagedFile
        record_segment = found.recordSegment
        read_at = row.readAt?.rfc3339(in: zone)
        read_by = found.readBy
        channel = row.channel
        direction = row.direction.rawValue
        source = row.source.rawValue
    }

    // Every key is written, null included: consumers can rely on the shape.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        for (key, value) in values { try c.encode(value, forKey: Key(key)) }
    }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    enum Value: Encodable {
        case string(String?), bool(Bool), int(Int64?)
        func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .string(let s?): try c.encode(s)
            case .int(let i?): try c.encode(i)
            case .bool(let b): try c.encode(b)
            case .string(nil), .int(nil): try c.encodeNil()
            }
        }
        var text: String {
            switch self {
            case .string(let s): return s ?? ""
            case .int(let i): return i.map(String.init) ?? ""
            case .bool(let b): return b ? "true" : "false"
            }
        }
    }

    var values: [(String, Value)] {
        [("id", .string(id)), ("sent_at", .string(sent_at)), ("chat_type", .string(chat_type)), ("chat_id", .string(chat_id)),
         ("chat_name", .string(chat_name)), ("sender_id", .string(sender_id)), ("sender_name", .string(sender_name)),
         ("kind", .string(kind)), ("state", .string(state)), ("reason", .string(reason)), ("edited", .bool(edited)),
         ("text", .string(text)), ("file_name", .string(file_name)), ("content_sha256", .string(content_sha256)),
         ("content_size", .int(content_size)), ("content_file", .string(content_file)), ("staged_file", .string(staged_file)),
         ("record_segment", .string(record_segment)), ("read_at", .string(read_at)), ("read_by", .string(read_by)),
         ("channel", .string(channel)), ("direction", .string(direction)), ("source", .string(source))]
    }

    /// Where the content or record can be had, in a word.
    var location: String {
        if let content_file { return content_file }
        if let staged_file { return "staged: " + staged_file }
        if let record_segment { return "record: " + record_segment }
        return "-"
    }

    var stateLabel: String {
        if let reason { return "\(state):\(reason)" }
        return edited && state != "unsent" ? "\(state),edited" : state
    }
}

/// Prints found messages as they stream in. The table holds back its first rows to size its
/// columns, then streams the rest at those widths: memory stays bounded for any result.
public struct FindPrinter {
    let format: FindFormat
    let zone: TimeZone
    let write: (String) -> Void
    let csv = CSVFormat()
    let encoder: JSONEncoder
    private var held: [FoundFields] = []
    private var widths: [Int]?
    private var headerDone = false
    /// Rows printed so far.
    public private(set) var count = 0
    static let holdBack = 200
    static let tableColumns = ["ID", "SENT", "CHAT", "SENDER", "KIND", "STATE", "TEXT", "WHERE"]
    static let maxWidths = [19, 19, 24, 20, 8, 22, 40, 80]

    public init(format: FindFormat, zone: TimeZone, write: @escaping (String) -> Void) {
        self.format = format
        self.zone = zone
        self.write = write
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    }

    public mutating func add(_ found: FoundMessage) {
        let fields = FoundFields(found, zone: zone)
        count += 1
        switch format {
        case .json:
            write(String(decoding: (try? encoder.encode(fields)) ?? Data("{}".utf8), as: UTF8.self) + "\n")
        case .csv:
            if !headerDone { write(csv.line(FoundFields.columns)); headerDone = true }
            write(csv.line(fields.values.map { $0.1.text }))
        case .tsv:
            write(cells(fields).map { $0.replacingOccurrences(of: "\t", with: " ").replacingOccurrences(of: "\n", with: " ") }
                .joined(separator: "\t") + "\n")
        case .table:
            if widths != nil { writeRow(cells(fields)); return }
            held.append(fields)
            if held.count >= Self.holdBack { flushHeld() }
        }
    }

    /// Prints what is held back; call once after the last row.
    public mutating func finish() {
        if format == .table { flushHeld() }
    }

    private mutating func flushHeld() {
        guard widths == nil else { return }
        let rows = held.map(cells)
        widths = Self.tableColumns.indices.map { column in
            min(Self.maxWidths[column], rows.map { DisplayWidth.of($0[column]) }.max(by: <).map { max($0, Self.tableColumns[column].count) }
                ?? Self.tableColumns[column].count)
        }
        if !rows.isEmpty { writeRow(Self.tableColumns) }
        rows.forEach(writeRow)
        held = []
    }

    private func writeRow(_ cells: [String]) {
        let widths = self.widths!
        let line = cells.enumerated().map { column, cell in
            DisplayWidth.fit(cell, widths[column], pad: column < cells.count - 1)
        }.joined(separator: "  ")
        write(line + "\n")
    }

    private func cells(_ f: FoundFields) -> [String] {
        let local = f.sent_at.prefix(19).replacingOccurrences(of: "T", with: " ")
        let sender = f.sender_name ?? f.sender_id ?? "-"
        return [f.id, local, f.chat_name ?? f.chat_id, f.direction == MessageDirection.outgoing.rawValue ? "[OA] " + sender : sender, f.kind,
                f.stateLabel, f.text, f.location]
    }
}
