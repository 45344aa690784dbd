import ArchiveRecord
import SQLiteDB
import Store
import TalkVaultDomain

/// The one mapping between the ledger's rows and the archive record (`ArchiveRecord`): the
/// column behind each field, read by name for `pack` and `verify --deep`, and written back by
/// `reindex`. A column the ledger gains reaches the archives only through this file and a new
/// record version.
enum RecordRows {
    typealias Field = ArchiveRecord.Message.Field

    /// The `messages` column behind each message field.
    static func column(_ field: Field) -> String {
        switch field {
        case .id: "id"
        case .kind: "kind"
        case .lineType: "line_type"
        case .chatType: "chat_type"
        case .chatId: "chat_id"
        case .senderId: "sender_id"
        case .sentAt: "sent_at_ms"
        case .deadline: "deadline_ms"
        case .state: "state"
        case .reason: "reason"
        case .text: "text"
        case .originalText: "original_text"
        case .contentProvider: "content_provider"
        case .contentURL: "content_url"
        case .fileName: "file_name"
        case .fileSize: "file_size"
        case .contentType: "content_type"
        case .contentSize: "content_size"
        case .contentSHA256: "content_sha256"
        case .markAsReadToken: "mark_as_read_token"
        case .origin: "origin"
        case .edited: "edited"
        case .unsentAt: "unsent_at_ms"
        case .capturedAt: "captured_at_ms"
        case .updatedAt: "updated_at_ms"
        case .readAt: "read_at_ms"
        case .readBy: "read_by"
        case .channel: "channel"
        case .direction: "direction"
        case .source: "source"
        case .senderName: "sender_name"
        }
    }

    /// The field a `messages` column holds, if the record has it.
    static func field(column name: String) -> Field? { Field.allCases.first { column($0) == name } }

    /// A `messages` row as its record holds it.
    static func message(_ row: inout RowValues) -> ArchiveRecord.Message {
        func c(_ field: Field) -> String { column(field) }
        return ArchiveRecord.Message(
            id: row.text(c(.id)), kind: row.value(c(.kind), standIn: .unknown), lineType: row.text(c(.lineType)),
            chatType: row.value(c(.chatType), standIn: .user), chatId: row.text(c(.chatId)), senderId: row.optionalText(c(.senderId)),
            sentAt: row.instant(c(.sentAt)), deadline: row.instant(c(.deadline)), state: row.value(c(.state), standIn: .received),
            reason: row.optionalValue(c(.reason)), text: row.optionalText(c(.text)), originalText: row.optionalText(c(.originalText)),
            contentProvider: row.optionalText(c(.contentProvider)), contentURL: row.optionalText(c(.contentURL)),
            fileName: row.optionalText(c(.fileName)), fileSize: row.optionalInt(c(.fileSize)), contentType: row.optionalText(c(.contentType)),
            contentSize: row.optionalInt(c(.contentSize)), contentSHA256: row.optionalText(c(.contentSHA256)),
            markAsReadToken: row.optionalText(c(.markAsReadToken)), origin: row.value(c(.origin), standIn: .message),
            edited: row.flag(c(.edited)), unsentAt: row.optionalInstant(c(.unsentAt)), capturedAt: row.instant(c(.capturedAt)),
            updatedAt: row.instant(c(.updatedAt)), readAt: row.optionalInstant(c(.readAt)), readBy: row.optionalText(c(.readBy)),
            channel: row.text(c(.channel)), direction: row.value(c(.direction), standIn: .incoming),
            source: row.value(c(.source), standIn: .webhook), senderName: row.optionalText(c(.senderName)))
    }

    /// The `messages` columns of a record's message, for `reindex`.
    static func columns(_ message: ArchiveRecord.Message) -> [(name: String, value: SQLValue)] {
        Field.allCases.map { field in
            let value: SQLValue = switch field {
            case .id: .text(message.id)
            case .kind: .text(message.kind.rawValue)
            case .lineType: .text(message.lineType)
            case .chatType: .text(message.chatType.rawValue)
            case .chatId: .text(message.chatId)
            case .senderId: .text(message.senderId)
            case .sentAt: .integer(message.sentAt.milliseconds)
            case .deadline: .integer(message.deadline.milliseconds)
            case .state: .text(message.state.rawValue)
            case .reason: .text(message.reason?.rawValue)
            case .text: .text(message.text)
            case .originalText: .text(message.originalText)
            case .contentProvider: .text(message.contentProvider)
            case .contentURL: .text(message.contentURL)
            case .fileName: .text(message.fileName)
            case .fileSize: .integer(message.fileSize)
            case .contentType: .text(message.contentType)
            case .contentSize: .integer(message.contentSize)
            case .contentSHA256: .text(message.contentSHA256)
            case .markAsReadToken: .text(message.markAsReadToken)
            case .origin: .text(message.origin.rawValue)
            case .edited: .bool(message.edited)
            case .unsentAt: .integer(message.unsentAt?.milliseconds)
            case .capturedAt: .integer(message.capturedAt.milliseconds)
            case .updatedAt: .integer(message.updatedAt.milliseconds)
            case .readAt: .integer(message.readAt?.milliseconds)
            case .readBy: .text(message.readBy)
            case .channel: .text(message.channel)
            case .direction: .text(message.direction.rawValue)
            case .source: .text(message.source.rawValue)
            case .senderName: .text(message.senderName)
            }
            return (column(field), value)
        }
    }

    /// A `raw_events` row as a record holds it.
    static func event(_ row: inout RowValues) -> ArchiveRecord.Event {
        ArchiveRecord.Event(
            eventId: row.text("event_id"), type: row.text("type"), timestamp: row.instant("timestamp_ms"),
            receivedAt: row.instant("received_at_ms"), mode: row.optionalText("mode"), chatId: row.optionalText("chat_id"),
            senderId: row.optionalText("sender_id"), destination: row.optionalText("destination"), redelivered: row.flag("redelivered"),
            disposition: row.value("disposition", standIn: .invalid), invalidReason: row.optionalText("invalid_reason"),
            fingerprint: row.text("fingerprint"), body: row.text("body"))
    }

    /// The `raw_events` columns of a record's event (its `seq` is the ledger's own).
    static func columns(_ event: ArchiveRecord.Event) -> [(name: String, value: SQLValue)] {
        [("event_id", .text(event.eventId)), ("type", .text(event.type)), ("timestamp_ms", .integer(event.timestamp.milliseconds)),
         ("received_at_ms", .integer(event.receivedAt.milliseconds)), ("mode", .text(event.mode)), ("chat_id", .text(event.chatId)),
         ("sender_id", .text(event.senderId)), ("destination", .text(event.destination)), ("redelivered", .bool(event.redelivered)),
         ("disposition", .text(event.disposition.rawValue)), ("invalid_reason", .text(event.invalidReason)),
         ("fingerprint", .text(event.fingerprint)), ("body", .text(event.body))]
    }

    /// A `message_edits` row with its event.
    static func edit(_ row: inout RowValues, event: ArchiveRecord.Event) -> ArchiveRecord.Edit {
        ArchiveRecord.Edit(messageId: row.text("message_id"), editedAt: row.instant("edited_at_ms"), text: row.optionalText("text"), event: event)
    }

    /// The `message_edits` columns of a record's edit, with the ledger's number for its event.
    static func columns(_ edit: ArchiveRecord.Edit, eventSeq: Int64) -> [(name: String, value: SQLValue)] {
        [("message_id", .text(edit.messageId)), ("edited_at_ms", .integer(edit.editedAt.milliseconds)), ("text", .text(edit.text)),
         ("event_seq", .integer(eventSeq))]
    }
}

/// A row's columns by name, read as the types a record holds. A value no record can hold (a
/// NULL where one must be, a number outside 0 and 1 for a flag, text outside an enum: only a
/// hand edit writes those) is noted in `invalid`, and a stand-in is read in its place.
struct RowValues {
    private let values: [String: SQLValue]
    /// The columns read that hold a value no record can.
    private(set) var invalid: [String] = []

    init(_ row: Row) {
        values = Dictionary((0..<row.count).map { (row.name($0), row.value($0)) }, uniquingKeysWith: { first, _ in first })
    }

    mutating func optionalText(_ column: String) -> String? {
        switch values[column] ?? .null {
        case .null: return nil
        case .text(let text): return text
        default: note(column); return nil
        }
    }

    mutating func text(_ column: String) -> String {
        if let text = optionalText(column) { return text }
        note(column)
        return ""
    }

    mutating func optionalInt(_ column: String) -> Int64? {
        switch values[column] ?? .null {
        case .null: return nil
        case .integer(let number): return number
        default: note(column); return nil
        }
    }

    mutating func int64(_ column: String) -> Int64 {
        if let number = optionalInt(column) { return number }
        note(column)
        return 0
    }

    mutating func optionalInstant(_ column: String) -> Instant? { optionalInt(column).map { Instant(milliseconds: $0) } }

    mutating func instant(_ column: String) -> Instant { Instant(milliseconds: int64(column)) }

    mutating func flag(_ column: String) -> Bool {
        switch optionalInt(column) {
        case 0?: return false
        case 1?: return true
        default: note(column); return false
        }
    }

    mutating func optionalValue<T: RawRepresentable<String>>(_ column: String) -> T? {
        guard let text = optionalText(column) else { return nil }
        guard let value = T(rawValue: text) else { note(column); return nil }
        return value
    }

    mutating func value<T: RawRepresentable<String>>(_ column: String, standIn: T) -> T {
        if let value: T = optionalValue(column) { return value }
        note(column)
        return standIn
    }

    private mutating func note(_ column: String) {
        if !invalid.contains(column) { invalid.append(column) }
    }
}

extension LedgerArchiveIndex {
    /// Message `id` as its next record would hold it, with its staged download; nil when the
    /// ledger has no row for it.
    func archivable(id: String) throws -> ArchivableMessage? {
        guard var row = try db.first("SELECT * FROM messages WHERE id = ?1", [.text(id)], { RowValues($0) }) else { return nil }
        let message = RecordRows.message(&row)
        let eventSeq = row.int64("event_seq"), stagedFile = row.optionalText("staged_file")
        var invalid = row.invalid
        let event = try recordEvent(seq: eventSeq, of: id, invalid: &invalid)
        var editRows: [RowValues] = []
        try db.query("SELECT * FROM message_edits WHERE message_id = ?1 ORDER BY edited_at_ms, event_seq", [.text(id)]) {
            editRows.append(RowValues($0))
        }
        var edits: [ArchiveRecord.Edit] = []
        for var edit in editRows {
            let seq = edit.int64("event_seq")
            edits.append(RecordRows.edit(&edit, event: try recordEvent(seq: seq, of: id, invalid: &invalid)))
            invalid += edit.invalid.map { "message_edits.\($0)" }
        }
        guard invalid.isEmpty else {
            throw LedgerError.unexpectedSchema("message \(id): \(invalid.joined(separator: ", ")) "
                                               + (invalid.count == 1 ? "holds a value" : "hold values") + " TalkVault does not write")
        }
        return ArchivableMessage(record: ArchiveRecord(message: message, event: event, edits: edits), stagedFile: stagedFile)
    }

    private func recordEvent(seq: Int64, of id: String, invalid: inout [String]) throws -> ArchiveRecord.Event {
        guard var row = try db.first("SELECT * FROM raw_events WHERE seq = ?1", [.integer(seq)], { RowValues($0) }) else {
            throw LedgerError.unexpectedSchema("message \(id): its event \(seq) is missing")
        }
        let event = RecordRows.event(&row)
        invalid += row.invalid.map { "raw_events.\($0)" }
        return event
    }

    /// Writes a message back from its archived record (for `reindex`): its event, its row, its
    /// edits and their events, its chat and its profile row. A later record of the same
    /// message replaces an earlier one.
    public func restoreArchived(_ record: ArchiveRecord) throws(LedgerError) {
        let message = record.message
        do {
            try db.transaction {
                let eventSeq = try restoreEvent(record.event, channel: message.channel)
                try insert(RecordRows.columns(message) + [("event_seq", .integer(eventSeq))], into: "messages", verb: "INSERT OR REPLACE")
                try db.run("DELETE FROM message_edits WHERE message_id = ?1", [.text(message.id)])
                for edit in record.edits {
                    try insert(RecordRows.columns(edit, eventSeq: try restoreEvent(edit.event, channel: message.channel)), into: "message_edits",
                               verb: "INSERT OR IGNORE")
                }
                try db.run("INSERT INTO chats(chat_id, chat_type, first_seen_ms, channel) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
                           [.text(message.chatId), .text(message.chatType.rawValue), .integer(message.sentAt.milliseconds),
                            .text(message.channel)])
                if let sender = message.senderId {
                    try db.run("INSERT INTO profiles(user_id, chat_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                               [.text(sender), .text(message.chatType == .user ? "" : message.chatId)])
                }
            }
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    /// An event's row; its channel is its message's (the record keeps it once, on the message).
    private func restoreEvent(_ event: ArchiveRecord.Event, channel: String) throws -> Int64 {
        try insert(RecordRows.columns(event) + [("channel", .text(channel))], into: "raw_events", verb: "INSERT OR IGNORE")
        guard let seq = try db.first("SELECT seq FROM raw_events WHERE event_id = ?1", [.text(event.eventId)], { $0.int64(0) }) else {
            throw LedgerError.io(path: path, reason: "an archived event could not be stored")
        }
        return seq
    }

    private func insert(_ row: [(name: String, value: SQLValue)], into table: String, verb: String) throws {
        let names = row.map { "\"\($0.name)\"" }.joined(separator: ", ")
        let slots = (1...row.count).map { "?\($0)" }.joined(separator: ", ")
        try db.run("\(verb) INTO \(table)(\(names)) VALUES (\(slots))", row.map(\.value))
    }
}
