import ArgumentParser
import Foundation
import LINEClient
import Logging
import Packing
import Sweep
import TalkVaultDomain
import RetentionConfig

struct SweepCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Download due content earliest deadline first, then pack it into today's archive.",
        discussion: """
        A one-shot run for a systemd timer. Exits 0 when nothing is at risk and nothing was newly \
        lost, 3 when something is (so OnFailure= alerts fire), 74 when the disk was too full to \
        download or pack everything (sweep.disk_reserve_bytes), 4 at once when another sweep or pack \
        holds the data dir. Needs the access token in TALKVAULT_ACCESS_TOKEN or the systemd \
        credential 'access-token', except for --dry-run, which reads the ledger only.
        """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print the plan and change nothing.") var dryRun = false
    @Option(help: "At most this many items.") var limit: Int?
    @Option(name: .customLong("kind"), help: "Only this kind (image, video, audio, file); repeatable.") var kinds: [String] = []
    @Option(help: "Only items due by this time: RFC 3339, or a date (the end of that day in the configured zone).") var until: String?
    @Option(help: "Write a Prometheus textfile here (for node_exporter).") var metricsFile: String?
    @Flag(help: "Print the report as JSON.") var json = false
    @Option(help: "Log level: trace, debug, info, notice, warning, error.") var logLevel = "warning"
    @Option(help: ArgumentHelp("edf (earliest deadline first), or fifo to measure EDF against.", visibility: .hidden))
    var order = "edf"

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        for kind in kinds where !(MessageKind(rawValue: kind)?.hasContent ?? false) {
            throw ValidationError("--kind: '\(kind)' has no content to download (image, video, audio, file)")
        }
        guard SweepOrder(rawValue: order) != nil else { throw ValidationError("--order is edf or fifo") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level: unknown level '\(logLevel)'") }
    }

    func run() async throws {
        try await reportingFailures {
            let clock = try global.clock()
            let config = try global.loadConfig()
            let paths = global.paths(config)
            // A plan reads the ledger only: no network, so no token.
            let token = Credentials.value(named: "access-token", environment: "TALKVAULT_ACCESS_TOKEN")
            if token == nil && !dryRun {
                throw Failure(.config, "no access token: set TALKVAULT_ACCESS_TOKEN, or provide the systemd credential 'access-token'")
            }
            let untilInstant = try until.map { try Self.parseUntil($0, timeZone: config.timeZone) }
            // A plan only reads: it takes neither the data dir's lock nor the ledger's write lock.
            let lock: PackLock?
            if dryRun {
                lock = nil
                _ = try global.openLedgerForReading(config)
            } else {
                do { lock = try PackLock.acquire(dataDir: paths.dataDir) } catch { throw Failure(any: error) }
                _ = try global.openLedger(config, create: false)
            }
            defer { lock?.release() }
            var logger = Logger(label: "talkvault.sweep")
            logger.logLevel = Logger.Level(rawValue: logLevel) ?? .notice
            var settings = SweepSettings(
                ledgerPath: paths.database, policy: config.policy, timeZone: config.timeZone, stagingDir: paths.dataDir + "/staging",
                pack: global.packSettings(config), concurrency: config.sweep.concurrency, rateLimit: config.sweep.rateLimit,
                burst: config.sweep.burst, maxAttempts: config.sweep.maxAttempts,
                transcodeWaitSeconds: Double(config.sweep.transcodeWait.seconds), order: SweepOrder(rawValue: order) ?? .edf)
            settings.readMode = config.readMode
            settings.diskReserveBytes = config.sweep.diskReserveBytes
            let options = SweepOptions(dryRun: dryRun, limit: limit, kinds: Set(kinds.compactMap(MessageKind.init(rawValue:))), until: untilInstant)
            let bar = ProgressBar(enabled: !json && !dryRun && isatty(STDERR_FILENO) == 1)
            let report: SweepReport
            do {
                if let token, !dryRun {
                    settings.botInfo = BotInfoClient(apiBaseURL: config.apiBaseURL, accessToken: token)
                    let client = ContentClient(dataAPIBaseURL: config.dataAPIBaseURL, accessToken: token,
                                               timeout: .seconds(config.sweep.requestTimeout.seconds))
                    let markAsRead = MarkAsReadClient(apiBaseURL: config.apiBaseURL, accessToken: token)
                    report = try await Sweeper(settings: settings, client: client, markAsRead: markAsRead, clock: clock,
                                               waiting: SystemWaitingClock(), logger: logger).run(options, progress: { bar.show($0) })
                } else {
                    report = try await Sweeper.plan(settings: settings, options: options, clock: clock)
                }
            } catch {
                throw Failure(any: error)
            }
            bar.end()
            if let metricsFile, !dryRun {
                let next = report.nextDeadline.flatMap { Instant(rfc3339: $0) }.map { Double($0.milliseconds) / 1000 }
                do {
                    try SweepMetricsFile.write(SweepMetricsFile.render(report, finishedAtSeconds: Double(clock.now().milliseconds) / 1000,
                                                                       nextDeadlineSeconds: next), to: metricsFile)
                } catch {
                    throw Failure(.ioError, "cannot write \(metricsFile)")
                }
            }
            if json { try printJSON(report) } else { print(Self.render(report, dryRun: dryRun), terminator: "") }
            if !dryRun && report.needsDiskSpace {
                throw Failure(.ioError, "the disk is too full: \(report.leftForDiskSpace) items not downloaded and \(report.unpackedForDiskSpace) "
                              + "downloads not packed, to keep room for packing what is staged (\(report.stagedBytes) bytes) with "
                              + "sweep.disk_reserve_bytes (\(config.sweep.diskReserveBytes)) to spare; free some space")
            }
            if !dryRun && report.needsAttention {
                throw Failure(.attention, "\(report.atRisk) items at risk, \(report.lost.values.reduce(0, +)) newly lost")
            }
        }
    }

    static func parseUntil(_ text: String, timeZone: TimeZone) throws -> Instant {
        if let instant = Instant(rfc3339: text) { return instant }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = timeZone
        formatter.dateFormat = "yyyy-MM-dd"
        guard let date = formatter.date(from: text) else {
            throw Failure(.usage, "--until: '\(text)' is neither an RFC 3339 time nor a date (2026-11-30)")
        }
        return Instant(milliseconds: Int64((date.timeIntervalSince1970 + 86_400) * 1000))
    }

    static func render(_ report: SweepReport, dryRun: Bool) -> String {
        var out = ""
        if dryRun {
            out += "plan: \(report.planned) items, earliest deadline first\n"
            for item in report.plan {
                out += "  \(item.deadline)  \(String(format: "%8.1f", Double(item.secondsLeft) / 3600))h  \(item.kind.padding(toLength: 6, withPad: " ", startingAt: 0)) \(item.messageId)\(item.provider == "external" ? " (external)" : "")\n"
            }
            return out
        }
        let lost = report.lost.filter { $0.value > 0 }.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        out += "planned      \(report.planned)\n"
        out += "downloaded   \(report.downloaded) (\(report.bytes) bytes)\n"
        out += "retried      \(report.retried) requests\n"
        out += "left         \(report.leftForNextRun) over the retry budget, \(report.waitingTranscode) still transcoding (next run)\n"
        if report.needsDiskSpace {
            out += "disk full    \(report.leftForDiskSpace) not downloaded, \(report.unpackedForDiskSpace) not packed (next run with room)\n"
        }
        out += "lost         \(lost.isEmpty ? "none" : lost.joined(separator: ", "))\n"
        out += "unsent       \(report.unsent)\n"
        out += "read receipts \(report.receiptsSent) sent to LINE\(report.receiptsFailed > 0 ? ", \(report.receiptsFailed) failed (next run)" : "")"
            + "\(report.receiptsRefused > 0 ? ", \(report.receiptsRefused) refused by LINE (not sent again; `show` says why)" : "")\n"
        out += "archived     \(report.packedRecords) records, \(report.packedContent) content files\n"
        for segment in report.segments { out += "             \(segment)\n" }
        out += "at risk      \(report.atRisk) (\(report.overdue) past their deadline)\n"
        out += "next deadline \(report.nextDeadline ?? "none")\n"
        out += "disk         \(report.diskAvailableBytes.map { "\($0) bytes free, " } ?? "")\(report.stagedBytes) bytes staged\n"
        return out
    }
}
