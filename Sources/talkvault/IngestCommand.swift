import ArgumentParser
import Intake
import RetentionConfig
import TalkVaultDomain
import Foundation

struct IngestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Load raw webhook bodies into the ledger, through the same path as `serve`.",
        discussion: """
        Each FILE holds one JSON webhook body (it may span lines) or JSONL with one body per line;
        `-` reads standard input. Ingesting the same bodies again changes nothing. The bodies are
        recorded under --channel (a name from channels:; default: the only channel, or default).
        A malformed body is rejected alone, named by its line, and the exit code is then 2.
        """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print the report as JSON.")
    var json = false

    @Option(help: "The channel the bodies were sent to.") var channel: String?

    @Argument(help: ArgumentHelp("Webhook body files, or - for standard input.", valueName: "file"))
    var files: [String]

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("name at least one FILE, or - for standard input") }
        guard files.filter({ $0 == "-" }).count <= 1 else { throw ValidationError("- (standard input) may be given once") }
    }

    func run() throws {
        let clock = try global.clock()
        let config = try global.loadConfig()
        let ledger = try global.openLedgerForWriting(config, create: true)
        if let channel, config.channel(named: channel) == nil {
            throw Failure(.usage, "--channel: unknown channel '\(channel)' (known: \(config.channels.map(\.name).joined(separator: ", ")))")
        }
        let name = channel ?? (config.channels.count == 1 ? config.channels[0].name : ChannelName.implicit)
        let ingester = Ingester(capturer: Capturer(ledger: ledger, clock: clock), channel: name)
        var report = IngestReport()
        var failure: IngestError?
        for file in files {
            // Stop at the first file that cannot be read or stored; what came before is kept,
            // and reported before the error.
            do throws(IngestError) {
                try ingester.ingest(path: file, into: &report)
            } catch {
                failure = error
                break
            }
        }
        for rejected in report.rejected {
            FileHandle.standardError.write(Data("talkvault: \(rejected.file):\(rejected.line): rejected: \(rejected.reason)\n".utf8))
        }
        if json { try printJSON(report) } else { print(Self.render(report), terminator: "") }
        if let failure { throw failure }
        if !report.rejected.isEmpty {
            throw Failure(.partial, Self.rejectionSummary(rejected: report.rejected.count, read: report.bodiesRead,
                                                          stored: report.bodiesStored))
        }
    }

    /// The closing line when bodies were rejected, in words that fit how many: the one body,
    /// all of several, or some of several.
    static func rejectionSummary(rejected: Int, read: Int, stored: Int) -> String {
        if rejected >= read {
            return read == 1 ? "the body was rejected; nothing was stored" : "all \(read) bodies were rejected; nothing was stored"
        }
        let rest = stored == 0 ? "nothing was stored" : stored == 1 ? "the other one was stored" : "the other \(stored) were stored"
        return "\(rejected) of \(read) bodies \(rejected == 1 ? "was" : "were") rejected; \(rest)"
    }

    static func render(_ report: IngestReport) -> String {
        let c = report.counts
        let rows: [(String, Int)] = [
            ("bodies read", report.bodiesRead), ("bodies stored", report.bodiesStored),
            ("events read", c.eventsRead), ("new events", c.newEvents), ("duplicate events", c.duplicateEvents),
            ("conflicting event ids (applied)", c.conflictingEvents), ("new messages", c.newMessages),
            ("duplicate message ids", c.duplicateMessages), ("edits applied", c.editsApplied),
            ("unsends applied", c.unsendsApplied), ("unsends waiting for their message", c.unsendsPending),
            ("unknown event types (kept raw)", c.unknownTypes), ("unknown message types (kept)", c.unknownMessageTypes),
            ("invalid events (kept raw)", c.invalidEvents), ("rejected lines", report.rejected.count),
        ]
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { "\($0.0.padding(toLength: width, withPad: " ", startingAt: 0))  \($0.1)" }.joined(separator: "\n") + "\n"
    }
}
