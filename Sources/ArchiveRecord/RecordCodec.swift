import Foundation
import JSON
import TalkVaultDomain

/// The one place that writes and reads `ArchiveRecord`s as lines of `messages.jsonl`
/// (docs/archive-record.md). A record is canonical JSON (sorted keys, no spaces), so the same
/// record gives the same bytes; the event's JSON is embedded as JSON, not as a string.
///
/// Version 1 is the layout every TalkVault release has written; its `format` member,
/// `talkvault-record/1`, is the version. A later version gets a decoder of its own here that
/// turns it into the current type, and the writer moves to it.
public enum RecordCodec {
    static let formatPrefix = "talkvault-record/"

    /// The record in the oldest layout that holds it, whatever `version` it was read in.
    public static func encode(_ record: ArchiveRecord) -> [UInt8] {
        let root: [String: JSONValue] = [
            "format": .string(formatPrefix + String(layout(of: record.message))),
            // Fields added after version 1 are left out at their defaults: a record of a webhook
            // message in a one-channel archive has the same bytes as before them.
            "message": .object(Dictionary(uniqueKeysWithValues: ArchiveRecord.Message.Field.allCases.compactMap {
                isDefault($0, in: record.message) ? nil : ($0.rawValue, value(of: $0, in: record.message))
            })),
            "event": json(record.event),
            "edits": .array(record.edits.map { edit in
                .object([
                    "edit": .object(["message_id": .string(edit.messageId), "edited_at_ms": .int(edit.editedAt.milliseconds),
                                     "text": string(edit.text)]),
                    "event": json(edit.event),
                ])
            }),
            "content_entry": string(record.contentEntry),
        ]
        return Array(JSONValue.object(root).canonicalJSON().utf8)
    }

    /// A record of any version this release reads, as the current type.
    public static func decode(_ bytes: [UInt8]) throws(RecordError) -> ArchiveRecord {
        let root: JSONValue
        do { root = try JSONValue.parse(Data(bytes)) } catch { throw .notJSON(offset: error.offset) }
        guard case .object(let members) = root, let format = members["format"]?.stringValue, format.hasPrefix(formatPrefix),
              let version = Int(format.dropFirst(formatPrefix.count)), version >= 1, format == formatPrefix + String(version) else {
            throw .notARecord
        }
        switch version {
        case 1, 2: return try version1(Members(members, path: ""), version: version)
        default: throw .newerVersion(version)
        }
    }

    /// The oldest layout that holds `message`: version 2 for what a version-1 reader would
    /// misread (an outgoing or imported message, a sender name, a message never captured), so
    /// an older TalkVault refuses it instead; version 1 for everything else.
    public static func layout(of message: ArchiveRecord.Message) -> Int {
        let needsTwo = message.direction != .incoming || message.source != .webhook || message.senderName != nil
            || message.reason == .notCaptured
        return needsTwo ? 2 : 1
    }

    /// True for a field added after version 1 that holds the value its absence reads as.
    static func isDefault(_ field: ArchiveRecord.Message.Field, in message: ArchiveRecord.Message) -> Bool {
        switch field {
        case .channel: message.channel == ChannelName.implicit
        case .direction: message.direction == .incoming
        case .source: message.source == .webhook
        case .senderName: message.senderName == nil
        default: false
        }
    }

    /// How message `field` is written: the record's own value for it. Two messages hold the
    /// same value for a field exactly when this gives the same JSON.
    static func value(of field: ArchiveRecord.Message.Field, in message: ArchiveRecord.Message) -> JSONValue {
        switch field {
        case .id: .string(message.id)
        case .kind: .string(message.kind.rawValue)
        case .lineType: .string(message.lineType)
        case .chatType: .string(message.chatType.rawValue)
        case .chatId: .string(message.chatId)
        case .senderId: string(message.senderId)
        case .sentAt: .int(message.sentAt.milliseconds)
        case .deadline: .int(message.deadline.milliseconds)
        case .state: .string(message.state.rawValue)
        case .reason: string(message.reason?.rawValue)
        case .text: string(message.text)
        case .originalText: string(message.originalText)
        case .contentProvider: string(message.contentProvider)
        case .contentURL: string(message.contentURL)
        case .fileName: string(message.fileName)
        case .fileSize: int(message.fileSize)
        case .contentType: string(message.contentType)
        case .contentSize: int(message.contentSize)
        case .contentSHA256: string(message.contentSHA256)
        case .markAsReadToken: string(message.markAsReadToken)
        case .origin: .string(message.origin.rawValue)
        case .edited: .int(message.edited ? 1 : 0)
        case .unsentAt: int(message.unsentAt?.milliseconds)
        case .capturedAt: .int(message.capturedAt.milliseconds)
        case .updatedAt: .int(message.updatedAt.milliseconds)
        case .readAt: int(message.readAt?.milliseconds)
        case .readBy: string(message.readBy)
        case .channel: .string(message.channel)
        case .direction: .string(message.direction.rawValue)
        case .source: .string(message.source.rawValue)
        case .senderName: string(message.senderName)
        }
    }

    static func json(_ event: ArchiveRecord.Event) -> JSONValue {
        // The body as JSON; text that is not JSON (never written by capture) stays a string.
        let body = (try? JSONValue.parse(Data(event.body.utf8))) ?? .string(event.body)
        return .object([
            "event_id": .string(event.eventId), "type": .string(event.type), "timestamp_ms": .int(event.timestamp.milliseconds),
            "received_at_ms": .int(event.receivedAt.milliseconds), "mode": string(event.mode), "chat_id": string(event.chatId),
            "sender_id": string(event.senderId), "destination": string(event.destination), "redelivered": .int(event.redelivered ? 1 : 0),
            "disposition": .string(event.disposition.rawValue), "invalid_reason": string(event.invalidReason),
            "fingerprint": .string(event.fingerprint), "body": body,
        ])
    }

    private static func string(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
    private static func int(_ value: Int64?) -> JSONValue { value.map(JSONValue.int) ?? .null }

    // MARK: Version 1

    /// Version 1. Records written before the ledger kept read state (its schema 3) lack
    /// `read_at_ms` and `read_by`: absent reads as null, for those and every nullable field.
    /// Records written before channels (schema 10) lack `channel`: absent reads as `default`.
    /// Version 2 adds `direction`, `source` and `sender_name` (absent: `incoming`, `webhook`,
    /// null) and the reason `not_captured`; the same reader reads both.
    static func version1(_ root: Members, version: Int) throws(RecordError) -> ArchiveRecord {
        typealias Field = ArchiveRecord.Message.Field
        let m = try root.object("message")
        let message = ArchiveRecord.Message(
            id: try m.string(Field.id.rawValue), kind: try m.value(Field.kind.rawValue), lineType: try m.string(Field.lineType.rawValue),
            chatType: try m.value(Field.chatType.rawValue), chatId: try m.string(Field.chatId.rawValue),
            senderId: try m.optionalString(Field.senderId.rawValue), sentAt: try m.instant(Field.sentAt.rawValue),
            deadline: try m.instant(Field.deadline.rawValue), state: try m.value(Field.state.rawValue),
            reason: try m.optionalValue(Field.reason.rawValue), text: try m.optionalString(Field.text.rawValue),
            originalText: try m.optionalString(Field.originalText.rawValue),
            contentProvider: try m.optionalString(Field.contentProvider.rawValue), contentURL: try m.optionalString(Field.contentURL.rawValue),
            fileName: try m.optionalString(Field.fileName.rawValue), fileSize: try m.optionalInt(Field.fileSize.rawValue),
            contentType: try m.optionalString(Field.contentType.rawValue), contentSize: try m.optionalInt(Field.contentSize.rawValue),
            contentSHA256: try m.optionalString(Field.contentSHA256.rawValue),
            markAsReadToken: try m.optionalString(Field.markAsReadToken.rawValue), origin: try m.value(Field.origin.rawValue),
            edited: try m.flag(Field.edited.rawValue), unsentAt: try m.optionalInstant(Field.unsentAt.rawValue),
            capturedAt: try m.instant(Field.capturedAt.rawValue), updatedAt: try m.instant(Field.updatedAt.rawValue),
            readAt: try m.optionalInstant(Field.readAt.rawValue), readBy: try m.optionalString(Field.readBy.rawValue),
            channel: try m.optionalString(Field.channel.rawValue) ?? ChannelName.implicit,
            direction: version >= 2 ? try m.optionalValue(Field.direction.rawValue) ?? .incoming : .incoming,
            source: version >= 2 ? try m.optionalValue(Field.source.rawValue) ?? .webhook : .webhook,
            senderName: version >= 2 ? try m.optionalString(Field.senderName.rawValue) : nil)
        var edits: [ArchiveRecord.Edit] = []
        for item in try root.objects("edits") {
            let edit = try item.object("edit")
            edits.append(ArchiveRecord.Edit(messageId: try edit.string("message_id"), editedAt: try edit.instant("edited_at_ms"),
                                             text: try edit.optionalString("text"), event: try event(item.object("event"))))
        }
        if version == 1, message.reason == .notCaptured { throw .unknownValue(field: "message." + Field.reason.rawValue) }
        return ArchiveRecord(version: version, message: message, event: try event(root.object("event")), edits: edits,
                             contentEntry: try root.optionalString("content_entry"))
    }

    static func event(_ e: Members) throws(RecordError) -> ArchiveRecord.Event {
        ArchiveRecord.Event(
            eventId: try e.string("event_id"), type: try e.string("type"), timestamp: try e.instant("timestamp_ms"),
            receivedAt: try e.instant("received_at_ms"), mode: try e.optionalString("mode"), chatId: try e.optionalString("chat_id"),
            senderId: try e.optionalString("sender_id"), destination: try e.optionalString("destination"),
            redelivered: try e.flag("redelivered"), disposition: try e.value("disposition"),
            invalidReason: try e.optionalString("invalid_reason"), fingerprint: try e.string("fingerprint"), body: try e.json("body"))
    }
}

/// Why bytes are not a record this release reads. Never quotes a value: it may be chat text.
public enum RecordError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not JSON; the byte offset where the problem was found.
    case notJSON(offset: Int)
    /// JSON, but without a `format` of `talkvault-record/<version>`.
    case notARecord
    /// Written by a later TalkVault, in a version this release does not know.
    case newerVersion(Int)
    /// A field every record of its version holds is absent (or null).
    case missing(field: String)
    /// A field holds another JSON type than its version writes.
    case wrongType(field: String)
    /// A field holds a value outside those its version defines.
    case unknownValue(field: String)

    public var description: String {
        switch self {
        case .notJSON(let offset): return "not JSON (at byte \(offset))"
        case .notARecord: return "not a talkvault-record"
        case .newerVersion(let version): return "record version \(version), written by a newer TalkVault; upgrade to read it"
        case .missing(let field): return "\(field) is missing"
        case .wrongType(let field): return "\(field) has the wrong JSON type"
        case .unknownValue(let field): return "\(field) holds a value this version does not define"
        }
    }
}

/// A JSON object being decoded; `path` names its fields in errors (`message.kind`).
struct Members {
    let members: [String: JSONValue]
    let path: String

    init(_ members: [String: JSONValue], path: String) {
        self.members = members
        self.path = path
    }

    private func name(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    /// The member, nil when absent or null.
    private func member(_ key: String) -> JSONValue? {
        guard let value = members[key], value != .null else { return nil }
        return value
    }

    func object(_ key: String) throws(RecordError) -> Members {
        guard let value = member(key) else { throw .missing(field: name(key)) }
        guard case .object(let members) = value else { throw .wrongType(field: name(key)) }
        return Members(members, path: name(key))
    }

    /// The objects of an array member; none when it is absent.
    func objects(_ key: String) throws(RecordError) -> [Members] {
        guard let value = member(key) else { return [] }
        guard case .array(let items) = value else { throw .wrongType(field: name(key)) }
        var objects: [Members] = []
        for (index, item) in items.enumerated() {
            guard case .object(let members) = item else { throw .wrongType(field: "\(name(key))[\(index)]") }
            objects.append(Members(members, path: "\(name(key))[\(index)]"))
        }
        return objects
    }

    func optionalString(_ key: String) throws(RecordError) -> String? {
        guard let value = member(key) else { return nil }
        guard case .string(let text) = value else { throw .wrongType(field: name(key)) }
        return text
    }

    func string(_ key: String) throws(RecordError) -> String {
        guard let text = try optionalString(key) else { throw .missing(field: name(key)) }
        return text
    }

    func optionalInt(_ key: String) throws(RecordError) -> Int64? {
        guard let value = member(key) else { return nil }
        guard case .int(let number) = value else { throw .wrongType(field: name(key)) }
        return number
    }

    func optionalInstant(_ key: String) throws(RecordError) -> Instant? {
        try optionalInt(key).map { Instant(milliseconds: $0) }
    }

    func instant(_ key: String) throws(RecordError) -> Instant {
        guard let instant = try optionalInstant(key) else { throw .missing(field: name(key)) }
        return instant
    }

    /// A yes or no, written as 0 or 1 (a JSON boolean is read too).
    func flag(_ key: String) throws(RecordError) -> Bool {
        switch member(key) {
        case nil: throw .missing(field: name(key))
        case .int(0)?, .bool(false)?: return false
        case .int(1)?, .bool(true)?: return true
        case .int?: throw .unknownValue(field: name(key))
        default: throw .wrongType(field: name(key))
        }
    }

    func optionalValue<T: RawRepresentable<String>>(_ key: String) throws(RecordError) -> T? {
        guard let text = try optionalString(key) else { return nil }
        guard let value = T(rawValue: text) else { throw .unknownValue(field: name(key)) }
        return value
    }

    func value<T: RawRepresentable<String>>(_ key: String) throws(RecordError) -> T {
        guard let value: T = try optionalValue(key) else { throw .missing(field: name(key)) }
        return value
    }

    /// JSON embedded in the record, back to its text: canonical JSON, or a string as it is.
    func json(_ key: String) throws(RecordError) -> String {
        switch member(key) {
        case nil: throw .missing(field: name(key))
        case .string(let text)?: return text
        case let value?: return value.canonicalJSON()
        }
    }
}

extension RecordCodec {
    /// The message id of an encoded record, found without decoding it: the `id` of the
    /// top-level `message` object, which canonical JSON writes last but for scalars (after
    /// `edits` and `event`, whose bodies may hold `"message":{` too), with only scalar fields
    /// before its `id`. A string's quotes are escaped, so neither pattern can occur inside a
    /// value. Nil when the bytes do not have that shape: decode them instead.
    public static func messageId(in bytes: [UInt8]) -> String? {
        let key = Array(#""message":{"#.utf8), idKey = Array(#""id":""#.utf8)
        guard let object = lastIndex(of: key, in: bytes) else { return nil }
        guard let id = firstIndex(of: idKey, in: bytes, from: object + key.count) else { return nil }
        let start = id + idKey.count
        guard let end = bytes[start...].firstIndex(of: UInt8(ascii: "\"")), !bytes[start..<end].contains(UInt8(ascii: "\\")) else { return nil }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    // Written out rather than the standard library's `ranges(of:)`/`firstRange(of:)`: a purge
    // reads every record this way, and those generic searches made it fifteen times slower.
    private static func lastIndex(of needle: [UInt8], in bytes: [UInt8]) -> Int? {
        guard bytes.count >= needle.count else { return nil }
        var index = bytes.count - needle.count
        while index >= 0 {
            if bytes[index] == needle[0] && bytes[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index -= 1
        }
        return nil
    }

    private static func firstIndex(of needle: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        guard bytes.count >= needle.count else { return nil }
        var index = start
        while index <= bytes.count - needle.count {
            if bytes[index] == needle[0] && bytes[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}
