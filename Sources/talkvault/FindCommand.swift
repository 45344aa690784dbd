import ArgumentParser
import Foundation
import Ledger
import Store
import Lookup

struct FindCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "find",
        abstract: "List messages matching every filter given, oldest first.",
        discussion: """
        Each row shows the id, time, chat, sender, kind, state, a preview of the text and where \
        the content is (segment:entry once archived). On a terminal the rows form a table; \
        piped, they are tab-separated. --json prints JSON lines, --csv a CSV with a header, \
        --count only how many match; one of them at most. \
        --text is a substring search over a trigram index (Japanese included). The first lookup \
        by chat, user or text after a large import builds the index entries it is missing. Exits 0 with no rows when \
        nothing matches.
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var selection: SelectionOptions
    @Option(help: "Message ids (repeatable).") var id: [String] = []
    @Option(help: "At most this many rows.") var limit: Int?
    @Flag var output: FindOutput?

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        let config = try global.loadConfig()
        let ledger = try global.openLedgerForReading(config)
        var query = try selection.query(in: config.timeZone)
        query.ids = id
        query.limit = limit
        if output == .count {
            print(try Finder.count(ledger.searchStore, query, progress: indexingProgress))
            return
        }
        let format = output?.format ?? (isatty(STDOUT_FILENO) == 1 ? .table : .tsv)
        let out = BufferedOutput()
        var printer = FindPrinter(format: format, zone: config.timeZone) { out.write($0) }
        try Finder.find(ledger.searchStore, query, progress: indexingProgress) { printer.add($0) }
        printer.finish()
        out.flush()
        if format == .table && printer.count == 0 { FileHandle.standardError.write(Data("no messages match\n".utf8)) }
    }
}
