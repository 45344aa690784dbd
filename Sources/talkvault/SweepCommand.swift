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
    @Option(name: .customLong("kind"), help: "Only this kind; repeatable.") var kinds: [ContentKind] = []
    @Option(help: "Only items due by this time: RFC 3339, or a date (the end of that day in the configured zone).") var until: String?
    @Option(help: "Write a Prometheus textfile here (for node_exporter).") var metricsFile: String?
    @Flag(help: "Print the report as JSON.") var json = false
    @Option(help: "Log level.") var logLevel: Logger.Level = .warning
    @Option(help: ArgumentHelp("Earliest deadline first (edf), or first in, first out (fifo) to measure EDF against.", visibility: .hidden))
    var order: SweepOrder = .edf

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() async throws {
        let clock = try global.clock()
        let config = try global.loadConfig()
        try await global.recordingLastRun(config, "sweep", dryRun: dryRun) { summary in
            try await sweep(config, clock: clock, summary: &summary)
        }
    }

    private func sweep(_ config: TalkVaultConfig, clock: any WallClock, summary: inout String?) async throws {
        let paths = global.paths(config)
        // A plan reads the ledger only: no network, so no token.
        let tokens = config.accessTokens()
        if tokens.isEmpty && !dryRun { throw Failure(.config, config.missingTokenMessage) }
        let untilInstant = try until.map { try TimeOption.cutoff($0, in: config.timeZone) }
        // A plan only reads: it takes neither the data dir's lock nor the ledger's write lock.
        // A sweep's first steps are a writer's: migrate, and apply the inbox; the sweeper then
        // works on connections of its own.
        let lock = dryRun ? nil : try PackLock.acquire(dataDir: paths.dataDir)
        if !dryRun { _ = try global.openLedgerForWriting(config, create: false) }
        defer { lock?.release() }
        var logger = Logger(label: "talkvault.sweep")
        logger.logLevel = logLevel
        var settings = SweepSettings(
            ledgerPath: paths.database, policy: config.policy, timeZone: config.timeZone, stagingDir: paths.dataDir + "/staging",
            pack: global.packSettings(config), concurrency: config.sweep.concurrency, rateLimit: config.sweep.rateLimit,
            burst: config.sweep.burst, maxAttempts: config.sweep.maxAttempts,
            transcodeWaitSeconds: Double(config.sweep.transcodeWait.seconds), order: order)
        settings.readMode = config.readMode
        for channel in config.channelsWithHistory { settings.tokenHints[channel.name] = channel.tokenHint }
        settings.diskReserveBytes = config.sweep.diskReserveBytes
        let options = SweepOptions(dryRun: dryRun, limit: limit, kinds: Set(kinds.map(\.kind)), until: untilInstant)
        let bar = ProgressBar(enabled: !json && !dryRun && isatty(STDERR_FILENO) == 1)
        let report: SweepReport
        if !tokens.isEmpty, !dryRun {
            let botInfo = config.perChannel { BotInfoClient(apiBaseURL: config.apiBaseURL, accessToken: $0) }
            if config.listsChannels {
                // The sweeper warns of each channel whose items wait for a token.
                settings.channels = config.channels.map { SweepChannel(name: $0.name, readMode: $0.readMode ?? config.readMode, botInfo: botInfo[$0.name]) }
            } else {
                settings.botInfo = botInfo[ChannelName.implicit]
            }
            let timeout = config.sweep.requestTimeout.seconds
            let clients = config.perChannel { ContentClient(dataAPIBaseURL: config.dataAPIBaseURL, accessToken: $0, timeout: .seconds(timeout)) }
            let markAsRead = config.perChannel { MarkAsReadClient(apiBaseURL: config.apiBaseURL, accessToken: $0) }
            report = try await Sweeper(settings: settings, clients: clients, markAsRead: markAsRead, clock: clock,
                                       waiting: SystemWaitingClock(), logger: logger).run(options, progress: { bar.show($0) })
        } else {
            report = try await Sweeper.plan(settings: settings, options: options, clock: clock)
        }
        bar.end()
        summary = "\(report.downloaded) downloaded, \(report.lost.values.reduce(0, +)) lost, \(report.atRisk) at risk, "
            + "\(report.leftForNextRun) left for the next run, \(report.packedRecords) records packed"
        if let metricsFile, !dryRun {
            let next = report.nextDeadline.flatMap { Instant(rfc3339: $0) }.map { Double($0.milliseconds) / 1000 }
            do {
                try SweepMetricsFile.write(SweepMetricsFile.render(report, finishedAtSeconds: Double(clock.now().milliseconds) / 1000,
                                                                   nextDeadlineSeconds: next), to: metricsFile)
            } catch {
                throw Failure(.ioError, "cannot write \(metricsFile)")
            }
        }
        if json { try printJSON(report) } else { print(SweepReportText.render(report, dryRun: dryRun), terminator: "") }
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
