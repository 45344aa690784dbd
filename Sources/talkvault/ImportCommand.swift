import ArgumentParser
import BackupImport
import Foundation
import TalkVaultDomain

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import the OA Manager's chat backups: both sides of each conversation.",
        discussion: """
        Each PATH is an OA Manager zip, one backup CSV, or a directory of them (searched \
        recursively). Every row is read; a user's row that matches a captured message (same chat, \
        second and text) marks it read by oa-import, any other row becomes a message of its own \
        (source oa-import), and the account's rows become outgoing messages. Each file's exact \
        bytes are archived by the next pack. A file is imported whole or not at all: a bad one is \
        named with its line, and the others go on (exit 2). A file's display name only proposes \
        chats; its customer's rows, matched against captured messages, decide. Without that \
        evidence its rows wait in the chat unmatched:NAME until --map 'NAME=CHAT_ID' settles it.
        """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Zips, CSV files or directories.") var paths: [String]
    @Option(help: "The channel the backups were downloaded from (default: the only channel, or default).") var channel: String?
    @Option(help: ArgumentHelp("Settle a chat: the display name NAME is the 1:1 chat CHAT_ID.", valueName: "NAME=CHAT_ID"))
    var map: [String] = []
    @Flag(help: "Change nothing; report what would happen.") var dryRun = false
    @Flag(help: "Print the report as JSON.") var json = false

    func run() throws {
        let config = try global.loadConfig()
        var maps: [String: String] = [:]
        for pair in map {
            // The last `=`: a display name may hold one, a chat id never does.
            guard let equals = pair.lastIndex(of: "="), equals != pair.startIndex, pair.index(after: equals) != pair.endIndex else {
                throw Failure(.usage, "--map: expected NAME=CHAT_ID")
            }
            maps[String(pair[..<equals]).precomposedStringWithCanonicalMapping] = String(pair[pair.index(after: equals)...])
        }
        let paths = global.paths(config)
        // A smaller page cache than serve's: an import of a million rows stays under 100 MB.
        let ledger = try global.openLedgerForWriting(config, create: true, cacheKibibytes: 16 * 1024)
        let known = try GlobalOptions.knownChannels(config, ledger)
        if let channel, !known.contains(channel) {
            throw Failure(.usage, "--channel: unknown channel '\(channel)' (known: \(known.joined(separator: ", ")))")
        }
        guard let name = channel ?? (known.count == 1 ? known[0] : nil) else {
            throw Failure(.usage, "--channel: name the account the backups are of (known: \(known.joined(separator: ", ")))")
        }
        let settings = ImportSettings(dataDir: paths.dataDir, channel: name, policy: config.policy, dryRun: dryRun, maps: maps)
        // A dry run changes nothing, so it is no action of the audit trail's.
        let run = { try Importer(store: ledger.importStore, settings: settings, clock: try global.clock()).run(paths: self.paths) }
        let report = dryRun ? try run()
            : try global.audited(config, "import", target: self.paths + map.map { "--map \($0)" } + ["--channel \(name)"], run)
        if json {
            try printJSON(ImportSummary(report))
        } else {
            print(ImportSummary.render(report), terminator: "")
        }
        if report.rejectedFiles > 0 || report.rejectedRows > 0 {
            throw Failure(.partial, "\(report.rejectedFiles) of \(report.files.count) files were rejected (nothing of them was imported), "
                          + "and \(report.rejectedRows) rows")
        }
    }
}
