import Foundation
import TalkVaultDomain

/// The simulated platform's world: the messages it can serve, its clock, its faults, and
/// counters a test can read to see what a client did.
public actor SimulatorState {
    public let config: SimulatorConfig
    /// The channel each Bearer token picks.
    private let channelsByToken: [String: SimulatedChannel]
    private var faults: FaultConfig
    private let clock: any WallClock
    private var clockOffsetMilliseconds: Int64 = 0
    private var messages: [String: Registered] = [:]
    /// Users each channel has heard from: a channel's token gets only their profiles.
    private var knownUsers: Set<ChannelScoped> = []
    private var counts: [String: Int] = [:]
    private var channelCounts: [String: ChannelStats]
    private var bytesServed: Int64 = 0
    private var markedAsRead: [MarkAsReadRecord] = []
    /// Every `markAsReadToken` the registered messages carried, by channel: the only ones
    /// `markAsRead` accepts with that channel's token.
    private var issuedTokens: Set<ChannelScoped> = []
    private var attempts: [String: UInt64] = [:]
    /// A token bucket per channel, as LINE limits each channel; `external` content has its own.
    private var buckets: [String: Bucket] = [:]

    struct Registered: Sendable {
        var message: SimulatedMessage
        /// Simulator time (ms) when it was registered: transcoding runs from here.
        var registeredAt: Int64
    }

    /// A value that belongs to one channel.
    struct ChannelScoped: Hashable, Sendable {
        var channel: String
        var value: String
    }

    struct Bucket: Sendable {
        var tokens: Double
        var updated: Double
    }

    /// One `markAsRead` call the simulator was told about.
    public struct MarkAsReadRecord: Sendable, Codable, Equatable {
        public var token: String
        public var at: Int64
        /// The channel whose access token made the call.
        public var channel: String
    }

    public init(config: SimulatorConfig, clock: any WallClock = SystemClock()) {
        self.config = config
        self.faults = config.faults
        self.clock = clock
        var byToken: [String: SimulatedChannel] = [:]
        for channel in config.channels where byToken[channel.accessToken] == nil { byToken[channel.accessToken] = channel }
        channelsByToken = byToken
        channelCounts = Dictionary(config.channels.map { ($0.name, ChannelStats()) }, uniquingKeysWith: { first, _ in first })
    }

    /// The channel an `Authorization` header's Bearer token picks, if any.
    nonisolated func channel(authorization: String?) -> SimulatedChannel? {
        guard let authorization, authorization.hasPrefix("Bearer ") else { return nil }
        return channelsByToken[String(authorization.dropFirst("Bearer ".count))]
    }

    // MARK: Clock

    /// The simulator's "now" in ms: its clock plus any offset set through the admin API.
    public func now() -> Int64 { clock.now().milliseconds + clockOffsetMilliseconds }

    /// Moves the simulator's clock forward (or back) by `seconds`.
    public func advanceClock(seconds: Double) { clockOffsetMilliseconds += Int64(seconds * 1000) }

    // MARK: Catalog

    /// Makes messages known, so their content can be served to their channel's token. A message
    /// of a channel the simulator does not serve is kept but never served (`POST /admin/messages`
    /// refuses it).
    public func register(_ new: [SimulatedMessage]) {
        let at = now()
        for message in new {
            if messages[message.id] == nil { messages[message.id] = Registered(message: message, registeredAt: at) }
            knownUsers.insert(ChannelScoped(channel: message.channel, value: message.userId))
            if let token = message.markAsReadToken { issuedTokens.insert(ChannelScoped(channel: message.channel, value: token)) }
        }
    }

    /// The first channel named in `messages` that the simulator does not serve.
    nonisolated func unknownChannel(in messages: [SimulatedMessage]) -> String? {
        messages.first { config.channel(named: $0.channel) == nil }?.channel
    }

    /// Records that the user unsent `id` at `at` (ms): from then on its content answers 410.
    public func unsend(id: String, at: Int64) {
        messages[id]?.message.unsentAt = at
    }

    func registered(_ id: String) -> Registered? { messages[id] }

    func isKnownUser(_ id: String, channel: String) -> Bool { knownUsers.contains(ChannelScoped(channel: channel, value: id)) }

    /// When the simulator stops serving `message`'s content (ms).
    public nonisolated func expiry(of message: SimulatedMessage) -> Int64 {
        let window = config.windows[message.kind] ?? RetentionPolicy.defaultWindows[message.kind]!
        return Instant(milliseconds: message.timestamp).adding(window).milliseconds
    }

    /// True when a video or audio is still transcoding at `now`.
    func isTranscoding(_ entry: Registered, now: Int64) -> Bool {
        Self.transcodes(entry.message) && now < entry.registeredAt + Int64(config.transcodeSeconds * 1000)
    }

    /// True when LINE fails to transcode `message`: its content is never served.
    nonisolated func transcodingFails(_ message: SimulatedMessage) -> Bool {
        guard Self.transcodes(message) else { return false }
        var rng = SeededGenerator(seed: config.seed, "transcode", message.id)
        return rng.chance(config.transcodeFailureRate)
    }

    /// How transcoding `message` ends, `succeeded` or `failed`; nil for content LINE does not
    /// transcode. For the ground truth.
    public nonisolated func transcodeOutcome(of message: SimulatedMessage) -> String? {
        guard Self.transcodes(message) else { return nil }
        return transcodingFails(message) ? "failed" : "succeeded"
    }

    /// LINE transcodes the videos and audio it hosts; `external` content is the sender's server's.
    static func transcodes(_ message: SimulatedMessage) -> Bool { message.kind.mayTranscode && !message.external }

    // MARK: Faults

    public func currentFaults() -> FaultConfig { faults }

    public func setFaults(_ new: FaultConfig) {
        faults = new
        for key in buckets.keys { buckets[key]!.tokens = min(buckets[key]!.tokens, new.rateBurst) }
    }

    /// What to do to one request, drawn from the seed, the path and how often it was asked.
    struct Decision: Sendable {
        var rateLimited = false
        var retryAfter: Int?
        var error: Int?
        var delayMilliseconds = 0
        var stall: Double?
        var truncateAt: Double?
        var dripBytesPerSecond: Int?
    }

    /// `channel` is nil for `external` content, which is not LINE's. Each channel's draws are its
    /// own, so one channel's run replays whatever another does beside it; the default channel's
    /// are those of a simulator without channels.
    func decide(channel: String?, path: String, isContent: Bool) -> Decision {
        let scope = channel.map { $0 == SimulatedChannel.defaultName ? [] : [$0] } ?? []
        let key = (scope + [path]).joined(separator: " ")
        let attempt = attempts[key, default: 0]
        attempts[key] = attempt + 1
        var rng = SeededGenerator(seed: config.seed, labels: ["fault"] + scope + [path, String(attempt)])
        var decision = Decision()
        if let rate = faults.rateLimit, !takeToken(bucket: channel ?? Self.externalBucket, rate: rate) {
            decision.rateLimited = true
            decision.retryAfter = faults.retryAfterSeconds
            return decision
        }
        if rng.chance(faults.errorRate) { decision.error = rng.next() % 2 == 0 ? 500 : 503 }
        decision.delayMilliseconds = faults.latencyMilliseconds
            + (faults.jitterMilliseconds > 0 ? Int(rng.next() % UInt64(faults.jitterMilliseconds + 1)) : 0)
        guard isContent, decision.error == nil else { return decision }
        if rng.chance(faults.stallRate) { decision.stall = faults.stallSeconds }
        if rng.chance(faults.truncateRate) { decision.truncateAt = 0.1 + 0.8 * rng.unit() }
        if rng.chance(faults.dripRate) { decision.dripBytesPerSecond = max(1, faults.dripBytesPerSecond) }
        return decision
    }

    /// The bucket of `external` content: no channel name has a NUL.
    private static let externalBucket = "\u{0}external"

    private func takeToken(bucket name: String, rate: Double) -> Bool {
        let now = Self.monotonicSeconds()
        var bucket = buckets[name] ?? Bucket(tokens: faults.rateBurst, updated: now)
        bucket.tokens = min(faults.rateBurst, bucket.tokens + (now - bucket.updated) * rate)
        bucket.updated = now
        defer { buckets[name] = bucket }
        guard bucket.tokens >= 1 else { return false }
        bucket.tokens -= 1
        return true
    }

    private static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    // MARK: Counters

    /// Counts an answer; `channel` is the one whose token was used, nil when none was.
    func count(_ route: String, status: Int, channel: String?) {
        counts["\(route) \(status)", default: 0] += 1
        guard let channel else { return }
        channelCounts[channel, default: ChannelStats()].add(route, status: status)
    }

    func addBytes(_ n: Int) { bytesServed += Int64(n) }

    /// Records a `markAsRead` call made with `channel`'s token; false for a token no message of
    /// that channel carried, which LINE refuses.
    func recordMarkAsRead(_ token: String, channel: String) -> Bool {
        guard issuedTokens.contains(ChannelScoped(channel: channel, value: token)) else { return false }
        markedAsRead.append(MarkAsReadRecord(token: token, at: now(), channel: channel))
        channelCounts[channel, default: ChannelStats()].markAsRead += 1
        return true
    }

    /// Requests by route and status, bytes served, and what was marked as read, in all and per channel.
    public func stats() -> Stats {
        Stats(requests: counts, bytesServed: bytesServed, markAsRead: markedAsRead, messages: messages.count, now: now(),
              channels: channelCounts)
    }

    /// What one channel's token was used for, as `GET /admin/stats` returns it under `channels`.
    public struct ChannelStats: Sendable, Codable, Equatable {
        /// API requests answered with this channel's token, whatever their status.
        public var requests = 0
        /// Those requests by status, e.g. "200", "429".
        public var statuses: [String: Int] = [:]
        /// Those requests by "METHOD route status", as `Stats.requests`.
        public var routes: [String: Int] = [:]
        /// `markAsRead` calls accepted.
        public var markAsRead = 0

        public init() {}

        enum CodingKeys: String, CodingKey {
            case requests, statuses, routes, markAsRead = "mark_as_read"
        }

        mutating func add(_ route: String, status: Int) {
            requests += 1
            statuses[String(status), default: 0] += 1
            routes["\(route) \(status)", default: 0] += 1
        }

        /// Requests answered with `status`.
        public func count(status: Int) -> Int { statuses[String(status)] ?? 0 }

        /// Requests to one route answered with `status`.
        public func count(_ route: String, _ status: Int) -> Int { routes["\(route) \(status)"] ?? 0 }
    }

    /// The simulator's counters, as `GET /admin/stats` returns them.
    public struct Stats: Sendable, Codable, Equatable {
        /// "METHOD route status" → count, e.g. "GET /v2/bot/message/{id}/content 200".
        public var requests: [String: Int]
        public var bytesServed: Int64
        public var markAsRead: [MarkAsReadRecord]
        public var messages: Int
        public var now: Int64
        /// Per channel name, every served channel included.
        public var channels: [String: ChannelStats]

        enum CodingKeys: String, CodingKey {
            case requests, bytesServed = "bytes_served", markAsRead = "mark_as_read", messages, now, channels
        }

        /// The count for one route and status.
        public func count(_ route: String, _ status: Int) -> Int { requests["\(route) \(status)"] ?? 0 }
    }
}
