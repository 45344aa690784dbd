import ArgumentParser
import AuditTrail
import Foundation
import TalkVaultDomain

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "List the audit trail: who read or changed what, when, why, and how it ended.",
        discussion: """
        Every show, restore, export (and export --force, with its reason), mark-read and import is \
        recorded, with the OS user, what it acted on and its outcome, in the append-only, \
        hash-chained log audit/audit.jsonl in the data dir. --verify checks the chain and names \
        the first entry that was edited, removed or moved (exit 65); `talkvault verify` checks it \
        too.
        """)

    @OptionGroup var global: GlobalOptions
    @Option(help: ArgumentHelp("Entries at or after this time (as find's --since).", valueName: "time")) var since: String?
    @Option(help: "Only this action (show, restore, export, export --force, mark-read, import).") var action: String?
    @Flag(help: "One JSON object per line.") var json = false
    @Flag(help: "Check the hash chain instead of listing.") var verify = false

    func run() throws {
        let config = try global.loadConfig()
        let log = AuditLog(dataDir: global.paths(config).dataDir)
        if verify {
            let result = log.verify()
            if let problem = result.problem {
                throw Failure(.dataError, "\(log.path):\(problem.line): \(problem.problem) (\(result.entries) entries before it check out)")
            }
            print("\(result.entries) entries; the chain checks out")
            return
        }
        let from = try since.map { try TimeOption.since($0, in: config.timeZone) }
        let out = BufferedOutput()
        try log.entries { entry in
            guard from.map({ entry.at >= $0 }) ?? true, action.map({ entry.action == $0 }) ?? true else { return }
            if json {
                out.write(entry.jsonLine + "\n")
            } else {
                let when = entry.at.rfc3339(in: config.timeZone).prefix(19).replacingOccurrences(of: "T", with: " ")
                let fields = ["\(entry.seq)", when, entry.action, entry.who, entry.target.joined(separator: " ")]
                    + (entry.reason.map { ["reason: " + $0] } ?? []) + [entry.outcome]
                out.write(fields.map(Self.visible).joined(separator: "\t") + "\n")
            }
        }
        out.flush()
    }

    /// A field with its control characters shown as `\u{…}`: a tab or line feed in a name or
    /// reason cannot forge a row of the listing.
    static func visible(_ text: String) -> String {
        String(text.unicodeScalars.map { $0.properties.generalCategory == .control ? "\\u{\(String($0.value, radix: 16))}" : String($0) }.joined())
    }
}
