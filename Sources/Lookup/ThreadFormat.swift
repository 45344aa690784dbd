import Foundation
import JSON
import LINE
import Store
import TalkVaultDomain

/// `talkvault thread`: one conversation, both sides in order, as a chat reads. A message that
/// only a chat backup holds is marked `[import]`, and each imported backup file is a line of
/// its own where it was downloaded.
public enum ThreadFormat {
    public static func line(_ found: FoundMessage, zone: TimeZone) -> String {
        let row = found.row
        let when = row.sentAt.rfc3339(in: zone).prefix(19).replacingOccurrences(of: "T", with: " ")
        if row.kind == .file, isBackupFile(row) {
            return "\(when)  ── backup \(row.fileName ?? row.id) imported; its bytes: talkvault restore \(row.id) ──\n"
        }
        let outgoing = row.direction == .outgoing
        let who = (outgoing ? "→ " : "← ") + (row.senderName ?? row.senderId ?? (outgoing ? "account" : "user"))
        var what = MessageText.summary(kind: row.kind, text: row.text, fileName: row.fileName, eventJSON: row.eventJSON)
        if row.kind != .text || what.isEmpty { what = "[\(row.kind.rawValue)] " + what }
        var marks: [String] = []
        if row.state == .unsent { marks.append("unsent") }
        if row.state == .lost { marks.append("lost: \(row.reason ?? "?")") }
        if row.edited { marks.append("edited") }
        if row.source == .oaImport { marks.append("import") }
        let indent = String(repeating: " ", count: 21)
        return "\(when)  \(who)  " + what.replacingOccurrences(of: "\n", with: "\n" + indent)
            + (marks.isEmpty ? "" : "  [" + marks.joined(separator: ", ") + "]") + "  (\(row.id))\n"
    }

    /// True for the message that holds an imported backup file's bytes: its event is the file's.
    static func isBackupFile(_ row: ExportRow) -> Bool {
        (try? JSONValue.parse(Data(row.eventJSON.utf8)))?["type"]?.stringValue == BackupFileMessage.lineType
    }
}
