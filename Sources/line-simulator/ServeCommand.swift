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
        """)

    @Option(help: "Address to bind.") var host = "127.0.0.1"
    @Option(help: "Port to bind; 0 picks a free one.") var port = 0
    @Option(help: "Seed for content bytes and fault decisions.") var seed: UInt64 = 1
    @Option(help: "The Bearer token the API accepts (local default: \(SimulatorConfig.defaultAccessToken)).")
    var accessToken = SimulatorConfig.defaultAccessToken
    @Option(help: "The channel secret (local default: \(SimulatorConfig.defaultChannelSecret)).")
    var channelSecret = SimulatorConfig.defaultChannelSecret
    @Option(help: "Seconds a video or audio answers 202 after it is registered.") var transcodeSeconds = 2.0
    @Option(help: "Share of videos and audio whose transcoding fails.") var transcodeFailureRate = 0.0
    @Option(name: .customLong("window"), help: ArgumentHelp("How long content is served, as KIND=DURATION (e.g. image=14d); repeatable. Defaults to TalkVault's policy.", valueName: "kind=duration"))
    var windows: [String] = []
    @Option(name: .customLong("size"), help: ArgumentHelp("Content sizes as KIND=MIN-MAX in bytes (log-uniform), e.g. video=1000000-500000000; repeatable.", valueName: "kind=min-max"))
    var sizes: [String] = []
    @Option(help: "markAsReadMode reported by /v2/bot/info: auto or manual.") var markAsReadMode = "manual"
    @Option(help: "chatMode reported by /v2/bot/info: chat or bot.") var chatMode = "chat"
    @Option(help: "What content past its window answers: 404 or 410 (LINE does not document which).") var expiredStatus = 404
    @OptionGroup var faults: FaultOptions

    func validate() throws {
        _ = try parsedWindows()
        _ = try parsedSizes()
        guard ["auto", "manual"].contains(markAsReadMode) else { throw ValidationError("--mark-as-read-mode is auto or manual") }
        guard ["chat", "bot"].contains(chatMode) else { throw ValidationError("--chat-mode is chat or bot") }
        guard [404, 410].contains(expiredStatus) else { throw ValidationError("--expired-status is 404 or 410") }
    }

    func run() async throws {
        var windowMap = RetentionPolicy.defaultWindows
        for (kind, duration) in try parsedWindows() { windowMap[kind] = duration }
        var sizeMap = SimulatorConfig.defaultSizes
        for (kind, range) in try parsedSizes() { sizeMap[kind] = range }
        let config = SimulatorConfig(seed: seed, accessToken: accessToken, channelSecret: channelSecret, windows: windowMap,
                                     transcodeSeconds: transcodeSeconds, transcodeFailureRate: transcodeFailureRate,
                                     sizes: sizeMap, faults: faults.config, markAsReadMode: markAsReadMode, chatMode: chatMode,
                                     expiredStatus: expiredStatus)
        var logger = Logger(label: "line-simulator")
        logger.logLevel = .warning
        let state = SimulatorState(config: config)
        let host = self.host
        let app = SimulatorServer.buildApplication(state: state, host: host, port: port, logger: logger) { bound in
            FileHandle.standardOutput.write(Data("http://\(host):\(bound)\n".utf8))
        }
        try await app.runService()
    }

    func parsedWindows() throws -> [(MessageKind, RetentionDuration)] {
        try windows.map { spec in
            let (kind, value) = try Self.split(spec, option: "--window")
            guard let duration = try? RetentionDuration(parsing: value), duration.seconds > 0 else {
                throw ValidationError("--window \(spec): bad duration (write it like 14d or 36h)")
            }
            return (kind, duration)
        }
    }

    func parsedSizes() throws -> [(MessageKind, SizeRange)] { try Self.parseSizes(sizes) }

    /// `KIND=MIN-MAX` specs, shared with `send`, whose plan decides each message's size.
    static func parseSizes(_ specs: [String]) throws -> [(MessageKind, SizeRange)] {
        try specs.map { spec in
            let (kind, value) = try Self.split(spec, option: "--size")
            let bounds = value.split(separator: "-").compactMap { Int64($0) }
            guard bounds.count == 2, bounds[0] > 0, bounds[1] >= bounds[0] else {
                throw ValidationError("--size \(spec): expected MIN-MAX in bytes")
            }
            return (kind, SizeRange(min: bounds[0], max: bounds[1]))
        }
    }

    static func split(_ spec: String, option: String) throws -> (MessageKind, String) {
        let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, let kind = MessageKind(rawValue: parts[0]) else {
            throw ValidationError("\(option) \(spec): expected KIND=VALUE with KIND one of \(MessageKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return (kind, parts[1])
    }
}

/// The fault flags, mapped onto `FaultConfig`.
struct FaultOptions: ParsableArguments {
    @Option(help: "Token-bucket rate limit in requests per second (429 beyond it); none by default.") var rateLimit: Double?
    @Option(help: "Token-bucket size.") var rateBurst = 100.0
    @Option(help: "Retry-After seconds sent with a 429; 0 sends none.") var retryAfter = 1
    @Option(help: "Share of API requests answered 500 or 503.") var errorRate = 0.0
    @Option(help: "Added latency in milliseconds.") var latencyMs = 0
    @Option(help: "Uniform jitter added to the latency, in milliseconds.") var jitterMs = 0
    @Option(help: "Share of content downloads that stall after their first chunk.") var stallRate = 0.0
    @Option(help: "How long a stall lasts, in seconds.") var stallSeconds = 30.0
    @Option(help: "Share of content downloads cut short, the connection closed before Content-Length.") var truncateRate = 0.0
    @Option(help: "Share of content downloads sent in a slow drip.") var dripRate = 0.0
    @Option(help: "Bytes per second of a drip.") var dripBytesPerSecond = 65_536

    var config: FaultConfig {
        FaultConfig(rateLimit: rateLimit, rateBurst: rateBurst, retryAfterSeconds: retryAfter > 0 ? retryAfter : nil,
                    errorRate: errorRate, latencyMilliseconds: latencyMs, jitterMilliseconds: jitterMs,
                    stallRate: stallRate, stallSeconds: stallSeconds, truncateRate: truncateRate,
                    dripRate: dripRate, dripBytesPerSecond: dripBytesPerSecond)
    }

    func validate() throws {
        for (name, rate) in [("--error-rate", errorRate), ("--stall-rate", stallRate), ("--truncate-rate", truncateRate), ("--drip-rate", dripRate)] {
            guard (0...1).contains(rate) else { throw ValidationError("\(name) is a share between 0 and 1") }
        }
        if let rateLimit, rateLimit <= 0 { throw ValidationError("--rate-limit must be positive") }
    }
}
