import Foundation
import LINE
import Store
import TalkVaultDomain

/// How values read on a page: times in the configured zone, states and kinds in the page's language.
struct ViewFormat {
    let zone: TimeZone
    let lang: ConsoleLanguage

    /// `2026-11-22 09:05`.
    func time(_ instant: Instant) -> String {
        let text = instant.rfc3339(in: zone)
        return String(text.prefix(16)).replacingOccurrences(of: "T", with: " ")
    }

    func kind(_ kind: MessageKind) -> String { lang.text("kind_" + kind.rawValue) }

    func state(_ row: ExportRow) -> String {
        let label = lang.text("state_" + row.state.rawValue)
        return row.reason.map { "\(label): \($0)" } ?? label
    }

    /// The words a message shows where its text would be: the text, else what `find` summarises
    /// (a sticker's keywords, a place, a file name).
    func summary(_ row: ExportRow) -> String {
        if row.kind == .text { return row.text ?? "" }
        return MessageText.summary(kind: row.kind, text: row.text, fileName: row.fileName, eventJSON: row.eventJSON)
    }

    /// One item of a conversation, for the `item` template.
    func item(_ item: ConversationItem, focus: String?) -> [String: Any] {
        switch item {
        case .message(let found):
            let row = found.row
            var view: [String: Any] = [
                "id": row.id, "side": row.direction == .outgoing ? "outgoing" : "incoming", "sent": time(row.sentAt),
                "sender": row.senderName ?? row.senderId ?? lang.text(row.direction == .outgoing ? "account" : "customer"),
                "state": state(row), "stateClass": row.state.rawValue, "edited": row.edited, "focus": row.id == focus,
            ]
            let archivedContent = row.contentSegment != nil
            switch row.kind {
            case .text: view["text"] = row.text ?? ""
            case .image where archivedContent:
                view["image"] = true
                view["fileName"] = row.fileName ?? row.id
            case .video, .audio, .file, .image:
                if archivedContent {
                    view["download"] = true
                    view["fileName"] = row.fileName ?? "\(row.id) (\(kind(row.kind)))"
                } else {
                    view["text"] = summary(row)
                }
            default: view["text"] = summary(row)
            }
            return view
        case .purged(let tombstone):
            let stateKey = tombstone.action == .redact ? "state_redacted" : tombstone.action == .erase ? "state_erased" : "state_purged"
            return [
                "id": tombstone.messageId, "side": tombstone.direction == .outgoing ? "outgoing" : "incoming", "sent": time(tombstone.sentAt),
                "sender": tombstone.senderId ?? "", "state": lang.text(stateKey), "stateClass": "purged", "focus": tombstone.messageId == focus,
                "purged": Self.fill(lang.text("purged_note"), time(tombstone.purgedAt), tombstone.rule),
            ]
        }
    }

    /// `text` with each `%@` replaced by the next of `values`.
    static func fill(_ text: String, _ values: String...) -> String {
        var out = "", rest = values[...]
        var remaining = Substring(text)
        while let range = remaining.range(of: "%@") {
            out += remaining[..<range.lowerBound]
            out += rest.popFirst() ?? ""
            remaining = remaining[range.upperBound...]
        }
        return out + remaining
    }
}
