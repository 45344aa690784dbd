import BackupImport

/// `talkvault import`'s report, as JSON (`--json`) and as text.
struct ImportSummary: Encodable {
    var dryRun: Bool
    var files: Int
    var rows: Int
    var matched: Int
    var newlyRead: Int
    var newIncoming: Int
    var newOutgoing: Int
    var rejectedFiles: Int
    var rejectedRows: Int
    var unmatchedChats: [UnmatchedChat]
    var settled: [Settled]
    var perFile: [File]

    struct UnmatchedChat: Encodable {
        var name: String
        var chatId: String
        var candidates: [String]
        var rows: Int
        var earlier: Bool
    }

    struct Settled: Encodable {
        var name: String
        var chatId: String
        var moved: Int
        var merged: Int
    }

    struct File: Encodable {
        var path: String
        var outcome: String
        var reason: String?
        var chatName: String?
        var chatId: String?
        var rows: Int
        var matched: Int
        var newlyRead: Int
        var newIncoming: Int
        var newOutgoing: Int
        var rejectedRows: [Row]
    }

    struct Row: Encodable {
        var line: Int
        var reason: String
    }

    init(_ report: ImportReport) {
        dryRun = report.dryRun
        files = report.files.count
        rows = report.rows
        matched = report.matched
        newlyRead = report.files.reduce(0) { $0 + $1.newlyRead }
        newIncoming = report.newIncoming
        newOutgoing = report.newOutgoing
        rejectedFiles = report.rejectedFiles
        rejectedRows = report.rejectedRows
        unmatchedChats = report.unmatchedChats.sorted { $0.key < $1.key }.map {
            UnmatchedChat(name: $0.key, chatId: "unmatched:" + $0.key, candidates: $0.value.candidates, rows: $0.value.rows,
                          earlier: $0.value.earlier)
        }
        settled = report.settled.map { Settled(name: $0.name, chatId: $0.chatId, moved: $0.moved, merged: $0.merged) }
        perFile = report.files.map { file in
            let (outcome, reason): (String, String?) = switch file.outcome {
            case .imported: ("imported", nil)
            case .alreadyImported: ("already_imported", nil)
            case .rejected(let why): ("rejected", why)
            case .skipped(let why): ("skipped", why)
            }
            return File(path: file.path, outcome: outcome, reason: reason, chatName: file.chatName, chatId: file.chatId, rows: file.rows,
                        matched: file.matched, newlyRead: file.newlyRead, newIncoming: file.newIncoming, newOutgoing: file.newOutgoing,
                        rejectedRows: file.rejectedRows.map { Row(line: $0.line, reason: $0.reason) })
        }
    }

    static func render(_ report: ImportReport) -> String {
        let s = ImportSummary(report)
        var out = s.dryRun ? "dry run: nothing was changed; this is what an import would do\n" : ""
        for settled in s.settled {
            out += "settled      '\(settled.name)' is \(settled.chatId): \(settled.moved) messages moved, \(settled.merged) merged into captured ones\n"
        }
        for file in s.perFile {
            switch file.outcome {
            case "imported":
                out += "imported     \(file.path) → \(file.chatId ?? "?"): \(file.rows) rows, \(file.matched) matched, "
                    + "\(file.newIncoming) new incoming, \(file.newOutgoing) new outgoing\n"
            case "already_imported": out += "unchanged    \(file.path): imported before\n"
            case "rejected": out += "REJECTED     \(file.reason ?? file.path)" + (file.reason?.hasPrefix(file.path) == true ? "\n" : " (\(file.path))\n")
            default: out += "skipped      \(file.path): \(file.reason ?? "")\n"
            }
            for row in file.rejectedRows { out += "  row left out, line \(row.line): \(row.reason)\n" }
        }
        out += "files        \(s.files) (\(s.rejectedFiles) rejected)\n"
        out += "rows         \(s.rows): \(s.matched) matched captured messages (\(s.newlyRead) newly read), "
            + "\(s.newIncoming) new incoming, \(s.newOutgoing) new outgoing, \(s.rejectedRows) left out\n"
        for chat in s.unmatchedChats {
            let why = chat.earlier ? "waits since an earlier import"
                : chat.candidates.isEmpty ? "fits no captured chat"
                : "proposes \(chat.candidates.joined(separator: ", ")), which its rows do not confirm"
            out += "unmatched    '\(chat.name)' \(why); \(chat.rows) rows wait in \(chat.chatId). Settle it with --map '\(chat.name)=CHAT_ID'\n"
        }
        return out
    }
}
