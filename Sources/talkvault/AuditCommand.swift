import ArgumentParser
import AuditTrail
import Foundation
import Packing
import RetentionConfig
import TalkVaultDomain

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "List the audit trail: who read or changed what, when, why, and how it ended.",
        discussion: """
        Every show, restore, export (and export --force, with its reason), mark-read, import, tag, \
        hold, purge, erase and disclose is recorded, with the OS user, what it acted on and its outcome, in the append-only, \
        hash-chained log audit/audit.jsonl in the data dir. --verify checks the chain and names \
        the first entry that was edited, removed or moved (exit 65); `talkvault verify` checks it \
        too. A changed retention.yaml is recorded as a config change. Each pack copies the new \
        entries into its segment (audit/audit-F-L.jsonl); --from-archives reads those copies, \
        which outlive the log, instead of the log.
        """)

    @OptionGroup var global: GlobalOptions
    @Option(help: ArgumentHelp("Entries at or after this time (as find's --since).", valueName: "time")) var since: String?
    @Option(help: "Only this action (show, restore, export, export --force, mark-read, import, tag add, hold add, purge, erase, disclose, config change, ...).") var action: String?
    @Flag(help: "One JSON object per line.") var json = false
    @Flag(help: "Check the hash chain instead of listing.") var verify = false
    @Flag(help: "Read the copies packed into the archives instead of the log.") var fromArchives = false

    func run() throws {
        let config = try global.loadConfig()
        if fromArchives { return try runFromArchives(config) }
        let log = AuditLog(dataDir: global.paths(config).dataDir)
        if verify {
            let result = log.verify()
            if let problem = result.problem {
                throw Failure(.dataError, "\(log.path):\(problem.line): \(problem.problem) (\(result.entries) entries before it check out)")
            }
            print("\(result.entries) entries; the chain checks out")
            return
        }
        let list = try listing(config)
        try log.entries(list)
        list(nil)
    }

    /// Writes each entry given that the options select; nil flushes.
    func listing(_ config: TalkVaultConfig) throws -> (AuditEntry?) -> Void {
        let from = try since.map { try TimeOption.since($0, in: config.timeZone) }
        let out = BufferedOutput()
        return { [json, action] entry in
            guard let entry else { return out.flush() }
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
    }

    /// The copies packed into the archives, in chain order. A pack that copied entries again
    /// (after a crash, or a reindex) repeats them: an entry seen before with the same hash is
    /// shown once. --verify checks their chain; a line that is no entry, or a segment or copy
    /// that cannot be read, is named and exits 65.
    func runFromArchives(_ config: TalkVaultConfig) throws {
        let list = try listing(config)
        var seen: [Int64: String] = [:]
        var chain = AuditChain()
        var problems: [String] = []
        let unread = try AuditCopies.read(archiveDir: global.paths(config).archiveDir) { line in
            guard let entry = AuditEntry.parse(line.text) else {
                problems.append("\(line.segment): \(line.entry): a line that is not an audit entry")
                return
            }
            if seen[entry.seq] == entry.hash { return }
            seen[entry.seq] = entry.hash
            if verify {
                if problems.isEmpty, let problem = chain.check(entry) {
                    problems.append("\(line.segment): \(line.entry): entry \(entry.seq): \(problem) (\(chain.checked) entries before it check out)")
                }
            } else {
                list(entry)
            }
        }
        list(nil)
        problems = unread + problems
        if !problems.isEmpty { throw Failure(.dataError, problems.joined(separator: "\n")) }
        if verify { print("\(chain.checked) entries in the archives' copies; the chain checks out") }
    }

    /// A field with its control and format characters (bidi overrides included) and line or
    /// paragraph separators shown as `\u{…}`: a name or reason cannot forge or disguise a row.
    static func visible(_ text: String) -> String {
        String(text.unicodeScalars.map { scalar in
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator: return "\\u{\(String(scalar.value, radix: 16))}"
            default: return String(scalar)
            }
        }.joined())
    }
}
