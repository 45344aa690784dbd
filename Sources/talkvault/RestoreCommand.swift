import ArgumentParser
import Foundation
import Ledger
import Store
import Lookup
import Packing

struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore archived messages into a directory, or one to stdout, checked against their SHA-256.",
        discussion: """
        Give message ids, or a selection with find's filters (--chat, --user, --kind, --since, \
        --until, --state, --text) to restore all of it, with a progress bar on a terminal. Each \
        item is read from its segment by offset, inflating only its own gzip members. Content \
        comes back under its original name made safe (two files of one name in a selection: the \
        second gets its message id added); text, stickers and locations as ID.txt (the text) and \
        ID.json (the archived record). Nothing is written outside --to, and nothing is replaced \
        without --force. Selected messages that are not archived (lost, unsent, not yet packed) \
        are counted and skipped. Exits 66 for an unknown or unarchived id, 65 when an archive \
        does not check out (naming the segment), 74 when a file exists.
        """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Message ids.") var ids: [String] = []
    @OptionGroup(title: "Selection") var selection: SelectionOptions
    @Option(help: "The directory to restore into (created if missing).") var to: String?
    @Flag(help: "Write the single item to stdout instead.") var stdout = false
    @Flag(help: "Replace files that exist.") var force = false

    func validate() throws {
        guard ids.isEmpty != selection.isEmpty else { throw ValidationError("give message ids, or a selection (--chat, --since, ...), not both") }
        guard (to == nil) != !stdout else { throw ValidationError("give --to DIR, or --stdout for a single item") }
        if stdout && ids.count != 1 { throw ValidationError("--stdout takes a single id") }
    }

    func run() throws {
        let config = try global.loadConfig()
        try global.audited(config, "restore", target: ids.isEmpty ? selection.described : ids) {
            let ledger = try global.openLedgerForReading(config)
            let restorer = Restorer(index: ledger.archiveIndex, archiveDir: global.paths(config).archiveDir)
            for id in ids { if let purged = try ledger.purgedFailure(id, zone: config.timeZone) { throw purged } }
            if stdout {
                try restorer.stream(id: ids[0]) { FileHandle.standardOutput.write(Data($0)) }
            } else if ids.isEmpty {
                try restoreSelection(ledger: ledger, restorer: restorer, zone: config.timeZone)
            } else {
                let names = RestoreNames()
                for id in ids {
                    for file in try restorer.restore(id: id, to: to!, force: force, names: names) { print("\(file.path)\t\(file.bytes) bytes") }
                }
            }
        }
    }

    /// Everything the selection matches that is archived; the rest is counted, not an error.
    func restoreSelection(ledger: Ledger, restorer: Restorer, zone: TimeZone) throws {
        let query = try selection.query(in: zone)
        var wanted: [String] = [], skipped: [String: Int] = [:]
        try Finder.find(ledger.searchStore, query, progress: indexingProgress) { found in
            if found.row.contentSegment != nil || found.recordSegment != nil {
                wanted.append(found.row.id)
            } else {
                skipped[found.row.state == .lost ? "lost" : found.row.state.rawValue, default: 0] += 1
            }
        }
        let bar = ProgressBar(enabled: isatty(STDERR_FILENO) == 1)
        let names = RestoreNames()
        var files = 0, bytes: UInt64 = 0, failures: [Failure] = []
        for (index, id) in wanted.enumerated() {
            // One bad item does not stop the rest; each failure is named and decides the exit code.
            do {
                for file in try restorer.restore(id: id, to: to!, force: force, names: names) {
                    print("\(file.path)\t\(file.bytes) bytes")
                    files += 1
                    bytes += file.bytes
                }
            } catch {
                let failure = Failure(any: error)
                failures.append(failure)
                FileHandle.standardError.write(Data("\(bar.enabled ? "\n" : "")talkvault: \(id): \(failure.message)\n".utf8))
            }
            bar.show(done: index + 1, total: wanted.count, bytes: bytes)
        }
        bar.end()
        let skippedText = skipped.isEmpty ? "" : "; skipped (not archived): " + skipped.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        FileHandle.standardError.write(Data("""
            talkvault: restored \(wanted.count - failures.count) of \(wanted.count) messages as \(files) files, \(bytes) bytes, \
            into \(to!)\(skippedText)\n
            """.utf8))
        guard let worst = failures.max(by: { Self.severity($0.exit) < Self.severity($1.exit) }) else { return }
        throw Failure(worst.exit, "\(failures.count) of \(wanted.count) messages not restored (see above)")
    }

    /// A damaged archive outranks an existing file, which outranks the rest.
    static func severity(_ exit: Exit) -> Int { exit == .dataError ? 2 : exit == .ioError ? 1 : 0 }
}
