import AuditTrail
import ArgumentParser
import LINEClient
import Foundation
import Hummingbird
import Ledger
import Store
import Logging
import Server
import TalkVaultDomain
import Relay
import RetentionConfig
import Intake

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Receive LINE's webhooks: verify, commit durably, answer 200, then apply.",
        discussion: """
        The channel secret comes from TALKVAULT_CHANNEL_SECRET or the systemd credential
        'channel-secret' ($CREDENTIALS_DIRECTORY/channel-secret), never from the config. The
        access token (TALKVAULT_ACCESS_TOKEN or credential 'access-token') lets it fetch senders'
        display names from line.api_base_url in the background. With channels: in the config,
        each channel has its own (TALKVAULT_CHANNEL_SECRET_<NAME>, credential
        'channel-secret-<name>', and the same for the token) and its own path, and the shared
        capture.webhook_path routes by the body's destination (docs/channels.md).
        A 200 means the body's bytes are committed to the ledger's inbox with an fsync. The
        events are then applied to the message tables in the background, usually within
        milliseconds; a burst is absorbed up to --max-backlog-mib, past which answers slow to
        the apply rate. Every command that writes applies what is left when it opens the ledger.
        Connections idle for capture.idle_timeout are closed; a body still arriving after
        capture.read_timeout gets 408.
        Endpoints: POST <capture.webhook_path> (default /webhook), GET /healthz, GET /metrics.
        SIGTERM or SIGINT stops accepting, commits what is in flight, applies for up to 5 s,
        and exits 0; the next start or command applies the rest.
        """)

    @OptionGroup var global: GlobalOptions

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on; 0 picks a free one.") var port = 8080
    @Option(help: "Log level.") var logLevel: Logger.Level = .info
    @Option(help: "Inbox size in MiB past which answers wait for bodies to be applied.") var maxBacklogMib = 1024

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be 0 to 65535") }
        guard maxBacklogMib > 0 else { throw ValidationError("--max-backlog-mib must be at least 1") }
    }

    func run() async throws {
        let clock = try global.clock()
        let config = try global.loadConfig()
        // Every channel's secret, or serve does not start: a channel LINE posts to must be verifiable.
        let channels = try config.channels.map { channel in
            var receiving = WebhookChannel(name: channel.name, webhookPath: channel.webhookPath, secret: try channel.channelSecret(),
                                           destination: channel.destination)
            receiving.readMode = channel.readMode ?? config.readMode
            if let token = channel.accessToken() {
                receiving.markAsRead = MarkAsReadClient(apiBaseURL: config.apiBaseURL, accessToken: token)
                receiving.botInfo = BotInfoClient(apiBaseURL: config.apiBaseURL, accessToken: token)
            }
            return receiving
        }
        var logger = Logger(label: "talkvault.serve", factory: DeferredMetadataLogHandler.init(label:))
        logger.logLevel = logLevel
        // Profiles of a channel without a token are asked with the first channel's that has one.
        let tokens = config.orderedAccessTokens()
        var profiles = tokens.first.map {
            ProfileFetcher.Settings(apiBaseURL: config.apiBaseURL, accessToken: $0.token, refresh: config.profileRefresh)
        }
        if config.listsChannels { profiles?.channelTokens = config.accessTokens().mapValues(Secret.init) }
        var settings = ServerSettings(host: host, port: port, maxBodyBytes: config.maxBodyBytes, channelSecret: "",
                                      ledgerPath: global.paths(config).database, policy: config.policy, timeZone: config.timeZone,
                                      profiles: profiles)
        settings.channels = channels
        if let history = config.historyChannel {
            // Credentials that may have gone with the old setup: either is optional.
            settings.history = ChannelHistory(name: history.name, secret: try? history.channelSecret(),
                                              markAsRead: history.accessToken().map { MarkAsReadClient(apiBaseURL: config.apiBaseURL, accessToken: $0) })
        }
        if Set(channels.map(\.secret.revealed)).count < channels.count {
            throw Failure(.config, "two channels have the same channel secret: each LINE channel has its own, and a body signed for one would be taken for the other")
        }
        settings.sharedWebhookPath = config.listsChannels ? config.webhookPath : nil
        settings.apiToken = Credentials.value(named: "api-token", environment: "TALKVAULT_API_TOKEN").map(Secret.init)
        settings.audit = AuditLog(dataDir: global.paths(config).dataDir)
        settings.idleTimeout = .seconds(config.idleTimeout.seconds)
        settings.readTimeout = .seconds(config.readTimeout.seconds)
        settings.writer.maxBacklogBytes = maxBacklogMib << 20
        settings.relay = try config.relay.map { try RelayDestination(target: $0) }
        let app = try WebhookServer.buildApplication(settings: settings, clock: clock, logger: logger)
        raiseFileLimit(logger)
        try await app.runService()
    }
}

/// Every connection is a file descriptor: the soft limit goes up to the hard one, as far as the
/// unit (`LimitNOFILE`) or the shell allows, and the limit in force is logged.
func raiseFileLimit(_ logger: Logger) {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
    if limit.rlim_cur < limit.rlim_max {
        var raised = limit
        raised.rlim_cur = limit.rlim_max
        if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
    }
    logger.notice("open files limit: \(limit.rlim_cur)")
}

