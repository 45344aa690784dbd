import ArgumentParser
import Console
import CSVText
import Export
import Foundation
import Hummingbird
import Logging
import RetentionConfig
import TalkVaultDomain

struct ConsoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console",
        abstract: "Serve the archive in a browser, for compliance managers and support staff.",
        discussion: """
        Its own listener, on loopback by default; put a reverse proxy with TLS in front to reach \
        it from elsewhere (console.behind_proxy: true). People sign in with the users of \
        `talkvault user add`, or, with console.trusted_header, as the user an SSO proxy on the same \
        machine names. It reads the ledger and the archives beside serve and sweep, and changes \
        nothing but read marks, holds, tags and (a manager's button) the last week's export; every page that shows content and every download \
        is recorded in the audit trail. Pages are in Japanese; ?lang=en or the browser's language \
        switches to English. Routes: docs/console.md.
        """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on; 0 picks a free one.") var port = 8788
    @Option(help: "Log level.") var logLevel: Logger.Level = .info

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be 0 to 65535") }
    }

    func run() async throws {
        let clock = try global.clock()
        let config = try global.loadConfig()
        let paths = global.paths(config)
        guard FileManager.default.fileExists(atPath: paths.database) else {
            throw Failure(.noInput, "no ledger at \(paths.database): the console shows a data dir that serve or import made")
        }
        var logger = Logger(label: "talkvault.console")
        logger.logLevel = logLevel
        // The config's channels and any the ledger holds messages of (a copy of another server's data dir).
        let channels = try GlobalOptions.knownChannels(config, global.openLedgerForReading(config))
        var settings = ConsoleSettings(host: host, port: port, dataDir: paths.dataDir, ledgerPath: paths.database, archiveDir: paths.archiveDir,
                                       exportDir: paths.exportDir, policy: config.policy, timeZone: config.timeZone, channels: channels)
        for channel in channels {
            var export = ExportSettings(exportDir: paths.exportDir, timeZone: config.timeZone, format: CSVFormat(),
                                        toolVersion: "talkvault \(TalkVaultVersion.current)", profile: .full, accountName: "")
            export.channel = channel
            settings.exportSettings[channel] = export
        }
        settings.relayTargets = config.relay.map(\.name)
        // scripts/bench-console's baseline: a page of the same size, served by this same server.
        if let path = ProcessInfo.processInfo.environment["TALKVAULT_CONSOLE_BENCH_STATIC"], !path.isEmpty {
            guard let page = FileManager.default.contents(atPath: path) else { throw Failure(.noInput, "TALKVAULT_CONSOLE_BENCH_STATIC: cannot read \(path)") }
            settings.benchmarkStaticPage = [UInt8](page)
        }
        settings.trustedHeader = config.console.trustedHeader
        settings.behindProxy = config.console.behindProxy
        settings.sessionIdle = config.console.sessionIdle
        settings.sessionLifetime = config.console.sessionMax
        let console: Console
        do {
            console = try Console(settings: settings, clock: clock, logger: logger)
        } catch let error as ConsoleError {
            throw Failure(.config, error.description)
        }
        let announcer = logger
        let app = console.application { port in
            announcer.notice("console listening on http://\(host.contains(":") ? "[\(host)]" : host):\(port)/")
        }
        try await app.runService()
    }
}
