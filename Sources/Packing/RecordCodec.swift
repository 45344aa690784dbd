import Foundation
import LINE
import Ledger
import SQLiteDB

/// A message record as one line of `messages.jsonl`: the message row, its event (with the
/// original webhook JSON as JSON, not as a string), its edits, and where its content entry is.
/// Canonical JSON, so the same message gives the same bytes.
public enum RecordCodec {
    public static let format = "talkvault-record/1"

    /// What a record holds once decoded.
    public struct Decoded: Sendable {
        public var message: Columns
        public var event: Columns
        public var edits: [(edit: Columns, event: Columns)]
        public var contentEntry: String?

        public func text(_ name: String) -> String? {
            if case .text(let v)? = message.first(where: { $0.name == name })?.value { return v }
            return nil
        }

        public func integer(_ name: String) -> Int64? {
            if case .integer(let v)? = message.first(where: { $0.name == name })?.value { return v }
            return nil
        }
    }

    public static func encode(_ message: ArchivableMessage, contentEntry: String?) -> [UInt8] {
        var root: [String: JSONValue] = [
            "format": .string(format),
            "message": object(message.message),
            "event": object(message.event, bodyAsJSON: true),
            "edits": .array(message.edits.map { .object(["edit": object($0.edit), "event": object($0.event, bodyAsJSON: true)]) }),
        ]
        root["content_entry"] = contentEntry.map(JSONValue.string) ?? .null
        return Array(JSONValue.object(root).canonicalJSON().utf8)
    }

    public static func decode(_ bytes: [UInt8]) throws -> Decoded {
        let root = try JSONValue.parse(Data(bytes))
        guard root["format"]?.stringValue == format, case .object(let message)? = root["message"],
              case .object(let event)? = root["event"] else {
            throw RecordError.notARecord
        }
        var edits: [(edit: Columns, event: Columns)] = []
        if case .array(let items)? = root["edits"] {
            for item in items {
                guard case .object(let edit)? = item["edit"], case .object(let editEvent)? = item["event"] else { throw RecordError.notARecord }
                edits.append((columns(edit), columns(editEvent)))
            }
        }
        return Decoded(message: columns(message), event: columns(event), edits: edits, contentEntry: root["content_entry"]?.stringValue)
    }

    enum RecordError: Error { case notARecord }

    static func object(_ columns: Columns, bodyAsJSON: Bool = false) -> JSONValue {
        var members: [String: JSONValue] = [:]
        for (name, value) in columns {
            if bodyAsJSON, name == "body", case .text(let text) = value, let parsed = try? JSONValue.parse(Data(text.utf8)) {
                members[name] = parsed
                continue
            }
            switch value {
            case .null: members[name] = .null
            case .integer(let v): members[name] = .int(v)
            case .real(let v): members[name] = .double(v)
            case .text(let v): members[name] = .string(v)
            case .blob(let v): members[name] = .string(Data(v).base64EncodedString())
            }
        }
        return .object(members)
    }

    /// Columns in name order; the event's body back to its canonical text.
    static func columns(_ members: [String: JSONValue]) -> Columns {
        members.keys.sorted().map { name in
            let value: SQLValue
            switch members[name]! {
            case .null: value = .null
            case .bool(let v): value = .integer(v ? 1 : 0)
            case .int(let v): value = .integer(v)
            case .double(let v): value = .real(v)
            case .string(let v): value = .text(v)
            case .array, .object: value = .text(members[name]!.canonicalJSON())
            }
            return (name, value)
        }
    }
}
