import ArgumentParser
import CSVText
import Export
import Foundation
import RetentionConfig
import TalkVaultDomain

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the weekly compliance CSV: the week's read messages, plus late reads of delivered weeks.",
        discussion: """
        One CSV per channel and ISO week (Monday to Sunday in the configured zone) in the export dir, \
        and its manifest beside it; each CSV's path goes to stdout, one per line. Every channel is \
        exported unless --channel names one: the listed ones and any other the ledger holds \
        messages of. A channel's files carry its name \
        (talkvault-shop-a-2026-W47.csv), the one channel of a config without channels: keeps \
        talkvault-2026-W47.csv. The default week is the last complete one. \
        A delivered week is never rewritten: running it again prints its path and exits 0, unless \
        --force with --reason, which the manifest records.
        """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "The ISO week, e.g. 2026-W47. Default: the last complete week.") var week: String?
    @Flag(help: "Rewrite a delivered week (needs --reason).") var force = false
    @Option(help: "Why a delivered week is rewritten; recorded in the manifest.") var reason: String?
    @Flag(help: "Do not prefix cells starting with = + - @ tab or CR with a quote.") var noFormulaGuard = false
    @Flag(help: "Write digit strings of 16+ digits (message ids) bare instead of as =\"…\", which spreadsheets would round.")
    var rawNumbers = false
    @Option(help: "The columns: every one TalkVault knows (full), or LINE OA Manager's backup layout (line).")
    var profile: ExportProfile = .full
    @Option(help: "The line profile's アカウント名.") var accountName = ""
    @Option(help: "Only this channel (a name from channels:).") var channel: String?

    func validate() throws {
        if let week, ISOWeek(parsing: week) == nil { throw ValidationError("--week: expected an ISO week like 2026-W47") }
        if reason != nil && !force { throw ValidationError("--reason goes with --force") }
    }

    func run() throws {
        let now = try global.clock().now()
        let config = try global.loadConfig()
        let target = week.flatMap(ISOWeek.init(parsing:)) ?? ISOWeek.lastComplete(before: now, in: config.timeZone)
        let what = [target.description] + (channel.map { ["--channel \($0)"] } ?? []) + ["--profile \(profile.rawValue)"]
        try global.recordingLastRun(config, "export") { summary in try export(config, target, what, now: now, summary: &summary) }
    }

    private func export(_ config: TalkVaultConfig, _ target: ISOWeek, _ what: [String], now: Instant, summary: inout String?) throws {
        var written = 0, rows = 0, lateRows = 0, delivered = 0
        // Kept when the export stops part way too: the channels done by then.
        defer {
            if written + delivered > 0 {
                summary = "\(target): \(written) files, \(rows) rows (\(lateRows) late)" + (delivered > 0 ? ", \(delivered) delivered before" : "")
            }
        }
        try global.audited(config, force ? "export --force" : "export", target: what, reason: reason) {
            let ledger = try global.openLedgerForWriting(config, create: false)
            let known = try GlobalOptions.knownChannels(config, ledger)
            if let channel, !known.contains(channel) {
                throw Failure(.usage, "--channel: unknown channel '\(channel)' (known: \(known.joined(separator: ", ")))")
            }
            for name in channel.map({ [$0] }) ?? known {
                var settings = ExportSettings(exportDir: global.paths(config).exportDir, timeZone: config.timeZone,
                                              format: CSVFormat(guardFormulas: !noFormulaGuard, longNumbersAsText: !rawNumbers),
                                              toolVersion: "talkvault \(TalkVaultVersion.current)", profile: profile, accountName: accountName)
                settings.channel = name
                let result = try Exporter(store: ledger.exportStore, settings: settings).run(week: target, force: reason, forced: force, now: now)
                let label = known.count > 1 ? "\(name) \(target)" : "\(target)"
                if result.alreadyDelivered {
                    delivered += 1
                    FileHandle.standardError.write(Data("talkvault: \(label) was delivered before and is unchanged; nothing written\n".utf8))
                } else {
                    (written, rows, lateRows) = (written + 1, rows + result.rows, lateRows + result.lateRows)
                    FileHandle.standardError.write(Data("talkvault: \(label): \(result.rows) rows (\(result.lateRows) late); manifest \(result.manifestPath)\n".utf8))
                }
                print(result.csvPath)
            }
        }
    }
}
