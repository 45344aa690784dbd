import ArgumentParser
import Foundation
import Ledger
import Lookup

struct FindCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "find",
        abstract: "List messages matching every filter given, oldest first.",
        discussion: """
        Each row shows the id, time, chat, sender, kind, state, a preview of the text and where \
        the content is (segment:entry once archived). On a terminal the rows form a table; \
        piped, they are tab-separated. --json prints JSON lines, --csv a CSV with a header. \
        --text is a substring search over a trigram index (Japanese included). The first lookup \
        by chat, user or text after a large import builds the index entries it is missing. Exits 0 with no rows when \
        nothing matches.
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var selection: SelectionOptions
    @Option(help: "Message ids (repeatable).") var id: [String] = []
    @Option(help: "At most this many rows.") var limit: Int?
    @Flag(help: "JSON lines.") var json = false
    @Flag(help: "CSV with a header row.") var csv = false
    @Flag(help: "Print only how many messages match.") var count = false

    func validate() throws {
        if [json, csv, count].filter({ $0 }).count > 1 { throw ValidationError("--json, --csv and --count go alone") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        try reportingFailures {
            let config = try global.loadConfig()
            let ledger = try global.openLedgerForReading(config)
            var query = try selection.query(in: config.timeZone)
            query.ids = id
            query.limit = limit
            if count {
                print(try Finder.count(ledger, query, progress: indexingProgress))
                return
            }
            let format: FindFormat = json ? .json : csv ? .csv : isatty(STDOUT_FILENO) == 1 ? .table : .tsv
            let out = BufferedOutput()
            var printer = FindPrinter(format: format, zone: config.timeZone) { out.write($0) }
            try Finder.find(ledger, query, progress: indexingProgress) { printer.add($0) }
            printer.finish()
            out.flush()
            if format == .table && printer.count == 0 { FileHandle.standardError.write(Data("no messages match\n".utf8)) }
        }
    }
}

/// A progress line on a terminal while `find`'s indexes catch up, when that is a big job.
func indexingProgress(_ done: Int, _ total: Int) {
    guard total >= 10_000, isatty(STDERR_FILENO) == 1 else { return }
    FileHandle.standardError.write(Data("\rindexing messages for find: \(done)/\(total)".utf8))
    if done == total { FileHandle.standardError.write(Data("\n".utf8)) }
}

/// Stdout in 64 KiB writes: a million JSON lines should not be a million syscalls.
final class BufferedOutput {
    private var buffer: [UInt8] = []

    init() { buffer.reserveCapacity(1 << 16) }

    func write(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { flush() }
    }

    func flush() {
        guard !buffer.isEmpty else { return }
        FileHandle.standardOutput.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }
}
