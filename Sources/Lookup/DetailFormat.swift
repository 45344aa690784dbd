import Foundation
import LINE
import Store
import TalkVaultDomain

/// `talkvault show`: one message, everything known, as text for people or JSON.
public enum DetailFormat {
    public static func text(_ d: MessageDetail, zone: TimeZone) -> String {
        let lines = fields(d, zone: zone)
        var out = lines.map { label, value in
            label.padding(toLength: 10, withPad: " ", startingAt: 0) + value.replacingOccurrences(of: "\n", with: "\n" + String(repeating: " ", count: 10))
        }.joined(separator: "\n") + "\n"
        out += "history\n"
        for entry in d.history {
            out += "  \(entry.at.rfc3339(in: zone))  \(entry.what)" + (entry.detail.map { "  \($0)" } ?? "") + "\n"
        }
        for edit in d.edits {
            out += "  edit at \(edit.editedAt.rfc3339(in: zone)): " + (edit.text ?? "").replacingOccurrences(of: "\n", with: " ") + "\n"
        }
        return out
    }

    /// What `show` prints before the history, as (label, value): `text` and the console both show these.
    public static func fields(_ d: MessageDetail, zone: TimeZone) -> [(String, String)] {
        let f = FoundFields(d.found, zone: zone)
        let r = d.record
        var lines: [(String, String)] = [
            ("message", "\(r.id)  (\(r.kind.rawValue), LINE type \(r.lineType))"),
            ("sent", f.sent_at),
            ("chat", [r.chat.type.rawValue, r.chat.id, f.chat_name.map { "(\($0))" }].compactMap { $0 }.joined(separator: " ")),
            ("channel", f.channel),
            ("sender", [f.sender_id ?? "-", f.sender_name.map { "(\($0))" }].compactMap { $0 }.joined(separator: " ")),
            ("side", f.direction == MessageDirection.outgoing.rawValue ? "outgoing (the account's reply)" : "incoming (the customer's)"),
            ("source", f.source == MessageSource.oaImport.rawValue ? "oa-import (only an OA Manager chat backup holds it; see history)" : "webhook"),
            ("state", f.stateLabel),
            ("deadline", r.deadline.rfc3339(in: zone)),
        ]
        if !f.text.isEmpty { lines.append(("text", f.text)) }
        if r.edited, let original = r.originalText { lines.append(("original", original)) }
        if let name = r.fileName { lines.append(("file", name + (r.fileSize.map { " (\($0) bytes)" } ?? ""))) }
        if let sha = f.content_sha256 {
            lines.append(("content", "sha256 \(sha)" + (f.content_size.map { ", \($0) bytes" } ?? "") + (d.contentType.map { ", \($0)" } ?? "")))
        }
        lines.append(("where", f.location + (f.content_file != nil && f.record_segment != nil ? "; record: \(f.record_segment!)" : "")))
        if let readAt = f.read_at {
            var read = "\(readAt) by \(f.read_by ?? "?")"
            if let receipt = d.readReceipt {
                if let sentAt = receipt.sentAt {
                    read += "; markAsRead sent \(sentAt.rfc3339(in: zone))"
                } else if let refused = receipt.refused {
                    read += "; markAsRead refused by LINE (\(refused)), not sent again"
                } else {
                    read += "; markAsRead pending (\(receipt.attempts) attempts\(receipt.lastError.map { ", last: \($0)" } ?? ""))"
                }
            }
            lines.append(("read", read))
        } else {
            lines.append(("read", "no"))
        }
        for export in d.exports { lines.append(("exported", "\(export.week) (\(export.profile))" + (export.path.map { " \($0)" } ?? ""))) }
        return lines
    }

    public static func json(_ d: MessageDetail, zone: TimeZone) -> String {
        let f = FoundFields(d.found, zone: zone)
        var object: [String: Any] = [:]
        for (key, value) in f.values {
            switch value {
            case .string(let s): object[key] = s ?? NSNull()
            case .int(let i): object[key] = i.map { NSNumber(value: $0) } ?? NSNull()
            case .bool(let b): object[key] = b
            }
        }
        let r = d.record
        object["line_type"] = r.lineType
        object["deadline"] = r.deadline.rfc3339(in: zone)
        object["original_text"] = r.originalText ?? NSNull()
        object["file_size"] = r.fileSize.map { NSNumber(value: $0) } ?? NSNull()
        object["content_type"] = d.contentType ?? NSNull()
        object["unsent_at"] = r.unsentAt.map { $0.rfc3339(in: zone) } ?? NSNull()
        object["captured_at"] = d.capturedAt.rfc3339(in: zone)
        object["event_id"] = d.eventId
        object["edits"] = d.edits.map { ["edited_at": $0.editedAt.rfc3339(in: zone), "text": $0.text ?? NSNull()] as [String: Any] }
        object["history"] = d.history.map { ["at": $0.at.rfc3339(in: zone), "what": $0.what, "detail": $0.detail ?? NSNull()] as [String: Any] }
        object["exports"] = d.exports.map { ["week": $0.week, "profile": $0.profile, "path": $0.path ?? NSNull()] as [String: Any] }
        object["mark_as_read"] = d.readReceipt.map {
            ["requested_at": $0.requestedAt.rfc3339(in: zone), "attempts": $0.attempts, "last_error": $0.lastError ?? NSNull(),
             "sent_at": $0.sentAt.map { $0.rfc3339(in: zone) } ?? NSNull(), "refused": $0.refused ?? NSNull()] as [String: Any]
        } ?? NSNull()
        object["event"] = (try? JSONSerialization.jsonObject(with: Data(r.eventJSON.utf8))) ?? r.eventJSON
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
