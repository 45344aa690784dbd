import Foundation
import TalkVaultDomain

/// A size range for generated content; sizes are log-uniform between the bounds.
public struct SizeRange: Sendable, Codable, Equatable {
    public var min: Int64
    public var max: Int64

    public init(min: Int64, max: Int64) {
        self.min = Swift.max(1, min)
        self.max = Swift.max(self.min, max)
    }

    /// The size for a uniform draw `u` in [0, 1).
    func size(at u: Double) -> Int64 {
        guard max > min else { return min }
        let (lo, hi) = (log(Double(min)), log(Double(max)))
        return Swift.min(max, Int64(exp(lo + (hi - lo) * u)))
    }
}

/// Faults the simulator injects into the Messaging API. Every field can be changed mid-run
/// through `PUT /admin/faults`. Each decision is drawn from the seed, the path and how often
/// that path was asked before, so a run can be replayed.
public struct FaultConfig: Sendable, Codable, Equatable {
    /// Requests per second the token bucket refills; nil for no limit.
    public var rateLimit: Double?
    /// Bucket size (burst).
    public var rateBurst: Double
    /// `Retry-After` seconds on a 429, or nil to send none.
    public var retryAfterSeconds: Int?
    /// Share of requests answered 500 or 503 (half each).
    public var errorRate: Double
    /// Added latency before every answer, in milliseconds, plus uniform jitter.
    public var latencyMilliseconds: Int
    public var jitterMilliseconds: Int
    /// Share of content answers that stall for `stallSeconds` before sending their body.
    public var stallRate: Double
    public var stallSeconds: Double
    /// Share of content answers cut short: the connection closes before `Content-Length`.
    public var truncateRate: Double
    /// Share of content answers sent in a slow drip, at this many bytes per second.
    public var dripRate: Double
    public var dripBytesPerSecond: Int

    public init(rateLimit: Double? = nil, rateBurst: Double = 100, retryAfterSeconds: Int? = 1, errorRate: Double = 0,
                latencyMilliseconds: Int = 0, jitterMilliseconds: Int = 0, stallRate: Double = 0, stallSeconds: Double = 30,
                truncateRate: Double = 0, dripRate: Double = 0, dripBytesPerSecond: Int = 64 * 1024) {
        self.rateLimit = rateLimit
        self.rateBurst = rateBurst
        self.retryAfterSeconds = retryAfterSeconds
        self.errorRate = errorRate
        self.latencyMilliseconds = latencyMilliseconds
        self.jitterMilliseconds = jitterMilliseconds
        self.stallRate = stallRate
        self.stallSeconds = stallSeconds
        self.truncateRate = truncateRate
        self.dripRate = dripRate
        self.dripBytesPerSecond = dripBytesPerSecond
    }

    enum CodingKeys: String, CodingKey {
        case rateLimit = "rate_limit", rateBurst = "rate_burst", retryAfterSeconds = "retry_after_seconds"
        case errorRate = "error_rate", latencyMilliseconds = "latency_ms", jitterMilliseconds = "jitter_ms"
        case stallRate = "stall_rate", stallSeconds = "stall_seconds", truncateRate = "truncate_rate"
        case dripRate = "drip_rate", dripBytesPerSecond = "drip_bytes_per_second"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = FaultConfig()
        rateLimit = try c.decodeIfPresent(Double.self, forKey: .rateLimit)
        rateBurst = try c.decodeIfPresent(Double.self, forKey: .rateBurst) ?? d.rateBurst
        retryAfterSeconds = try c.decodeIfPresent(Int.self, forKey: .retryAfterSeconds)
        errorRate = try c.decodeIfPresent(Double.self, forKey: .errorRate) ?? d.errorRate
        latencyMilliseconds = try c.decodeIfPresent(Int.self, forKey: .latencyMilliseconds) ?? d.latencyMilliseconds
        jitterMilliseconds = try c.decodeIfPresent(Int.self, forKey: .jitterMilliseconds) ?? d.jitterMilliseconds
        stallRate = try c.decodeIfPresent(Double.self, forKey: .stallRate) ?? d.stallRate
        stallSeconds = try c.decodeIfPresent(Double.self, forKey: .stallSeconds) ?? d.stallSeconds
        truncateRate = try c.decodeIfPresent(Double.self, forKey: .truncateRate) ?? d.truncateRate
        dripRate = try c.decodeIfPresent(Double.self, forKey: .dripRate) ?? d.dripRate
        dripBytesPerSecond = try c.decodeIfPresent(Int.self, forKey: .dripBytesPerSecond) ?? d.dripBytesPerSecond
    }
}

/// Everything the simulated platform needs to know.
public struct SimulatorConfig: Sendable {
    /// Documented local defaults, never real secrets.
    public static let defaultAccessToken = "simulator-access-token"
    public static let defaultChannelSecret = "simulator-channel-secret"

    public var seed: UInt64
    /// The Official Accounts served, the default one first. The Bearer token picks one.
    public var channels: [SimulatedChannel]
    /// How long LINE serves content, per kind; defaults to TalkVault's shipped policy.
    public var windows: [MessageKind: RetentionDuration]
    /// What content past its window answers: 404, or 410 (LINE does not document which).
    public var expiredStatus: Int
    /// How long a video or audio "transcodes" after it is registered (202 until then).
    public var transcodeSeconds: Double
    /// Share of videos and audio whose transcoding fails.
    public var transcodeFailureRate: Double
    /// Content sizes per kind.
    public var sizes: [MessageKind: SizeRange]
    public var faults: FaultConfig
    /// `/v2/bot/info`'s `markAsReadMode`: `auto` or `manual`.
    public var markAsReadMode: String
    /// `/v2/bot/info`'s `chatMode`: `chat` or `bot`.
    public var chatMode: String

    public static let defaultSizes: [MessageKind: SizeRange] = [
        .image: SizeRange(min: 30_000, max: 3_000_000),
        .video: SizeRange(min: 500_000, max: 40_000_000),
        .audio: SizeRange(min: 20_000, max: 4_000_000),
        .file: SizeRange(min: 2_000, max: 15_000_000),
    ]

    /// `accessToken` and `channelSecret` are the default channel's. `channels` are served beside
    /// it; one named like a channel before it replaces that one (`default` included).
    public init(seed: UInt64 = 1, accessToken: String = defaultAccessToken, channelSecret: String = defaultChannelSecret,
                channels: [SimulatedChannel]? = nil, windows: [MessageKind: RetentionDuration] = RetentionPolicy.defaultWindows, transcodeSeconds: Double = 2,
                transcodeFailureRate: Double = 0, sizes: [MessageKind: SizeRange] = defaultSizes, faults: FaultConfig = FaultConfig(),
                markAsReadMode: String = "manual", chatMode: String = "chat", expiredStatus: Int = 404) {
        self.seed = seed
        var all = [SimulatedChannel(name: SimulatedChannel.defaultName, accessToken: accessToken, channelSecret: channelSecret,
                                    destination: SimulatedChannel.defaultChannel.destination)]
        for channel in channels ?? [] {
            if let index = all.firstIndex(where: { $0.name == channel.name }) { all[index] = channel } else { all.append(channel) }
        }
        self.channels = all
        self.windows = windows
        self.expiredStatus = expiredStatus
        self.transcodeSeconds = transcodeSeconds
        self.transcodeFailureRate = transcodeFailureRate
        self.sizes = sizes
        self.faults = faults
        self.markAsReadMode = markAsReadMode
        self.chatMode = chatMode
    }

    /// The default channel's Bearer token (the first channel's).
    public var accessToken: String {
        get { channels.first?.accessToken ?? "" }
        set { mutateDefault { $0.accessToken = newValue } }
    }

    /// The default channel's webhook secret (the first channel's).
    public var channelSecret: String {
        get { channels.first?.channelSecret ?? "" }
        set { mutateDefault { $0.channelSecret = newValue } }
    }

    /// The channel of that name, if it is served.
    public func channel(named name: String) -> SimulatedChannel? { channels.first { $0.name == name } }

    private mutating func mutateDefault(_ change: (inout SimulatedChannel) -> Void) {
        if channels.isEmpty { channels = [.defaultChannel] }
        change(&channels[0])
    }

    /// The size range for `kind` (content-less kinds get a token range).
    func sizeRange(for kind: MessageKind) -> SizeRange {
        sizes[kind] ?? SizeRange(min: 1_000, max: 10_000)
    }
}
