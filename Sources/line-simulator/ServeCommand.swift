import ArgumentParser
import Foundation
import Hummingbird
import LINESimulator
import Logging
import TalkVaultDomain

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the simulated Messaging API until SIGTERM or SIGINT.",
        discussion: """
        The first line on stdout is the base URL (http://HOST:PORT); use it for both
        api.line.me and api-data.line.me. Faults can be changed while it runs with
        PUT /admin/faults (the same JSON keys as GET /admin/faults); counters are at GET /admin/stats.
        Content a client may fetch must first be registered, which `send` does.
        Each --channel NAME adds an Official Account beside the default one, with
        the local credentials simulator-access-token-NAME and
        simulator-channel-secret-NAME. Its token picks it, /v2/bot/info answers
        its bot user id, and /admin/stats counts it apart.
        """)

    @Option(help: "Address to bind.") var host = "127.0.0.1"
    @Option(help: "Port to bind; 0 picks a free one.") var port = 0
    @Option(help: "Seed for content bytes and fault decisions.") var seed: UInt64 = 1
    @Option(help: "The Bearer token the API accepts (local default: \(SimulatorConfig.defaultAccessToken)).")
    var accessToken = SimulatorConfig.defaultAccessToken
    @Option(help: "The channel secret (local default: \(SimulatorConfig.defaultChannelSecret)).")
    var channelSecret = SimulatorConfig.defaultChannelSecret
    @Option(name: .customLong("channel"), help: ArgumentHelp("Also serve the channel NAME (lower-case letters, digits, inner '-'; 1-32), with token simulator-access-token-NAME and secret simulator-channel-secret-NAME; repeatable.", valueName: "name"))
    var channels: [String] = []
    @Option(help: "Seconds a video or audio answers 202 after it is registered.") var transcodeSeconds = 2.0
    @Option(help: "Share of videos and audio whose transcoding fails.") var transcodeFailureRate = 0.0
    @Option(name: .customLong("window"), help: ArgumentHelp("How long content is served, as KIND=DURATION (e.g. image=14d); repeatable. Defaults to TalkVault's policy.", valueName: "kind=duration"))
    var windows: [String] = []
    @Option(name: .customLong("size"), help: ArgumentHelp("Content sizes as KIND=MIN-MAX in bytes (log-uniform), e.g. video=1000000-500000000; repeatable.", valueName: "kind=min-max"))
    var sizes: [String] = []
    @Option(help: "markAsReadMode reported by /v2/bot/info.") var markAsReadMode: MarkAsReadMode = .manual
    @Option(help: "chatMode reported by /v2/bot/info.") var chatMode: ChatMode = .chat
    @Option(help: "What content past its window answers (LINE does not document which).") var expiredStatus: ExpiredStatus = .notFound
    @OptionGroup var faults: FaultOptions

    func validate() throws {
        _ = try parsedWindows()
        _ = try parsedSizes()
        for name in channels { try ChannelName.check(name) }
        if let repeated = channels.first(where: { name in channels.filter { $0 == name }.count > 1 }) {
            throw ValidationError("--channel \(repeated) is given more than once")
        }
    }

    func run() async throws {
        var windowMap = RetentionPolicy.defaultWindows
        for (kind, duration) in try parsedWindows() { windowMap[kind] = duration }
        var sizeMap = SimulatorConfig.defaultSizes
        for (kind, range) in try parsedSizes() { sizeMap[kind] = range }
        let config = SimulatorConfig(seed: seed, accessToken: accessToken, channelSecret: channelSecret,
                                     channels: channels.map(SimulatedChannel.named), windows: windowMap,
                                     transcodeSeconds: transcodeSeconds, transcodeFailureRate: transcodeFailureRate,
                                     sizes: sizeMap, faults: faults.config, markAsReadMode: markAsReadMode.rawValue,
                                     chatMode: chatMode.rawValue, expiredStatus: expiredStatus.rawValue)
        var logger = Logger(label: "line-simulator")
        logger.logLevel = .warning
        let state = SimulatorState(config: config)
        let host = self.host
        let app = SimulatorServer.buildApplication(state: state, host: host, port: port, logger: logger) { bound in
            FileHandle.standardOutput.write(Data("http://\(host):\(bound)\n".utf8))
        }
        try await app.runService()
    }

    func parsedWindows() throws -> [(MessageKind, RetentionDuration)] { try KindSpec.windows(windows) }

    func parsedSizes() throws -> [(MessageKind, SizeRange)] { try KindSpec.sizes(sizes) }
}
