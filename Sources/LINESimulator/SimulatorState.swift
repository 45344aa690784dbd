import Foundation
import TalkVaultDomain

/// The simulated platform's world: the messages it can serve, its clock, its faults, and
/// counters a test can read to see what a client did.
public actor SimulatorState {
    public let config: SimulatorConfig
    private var faults: FaultConfig
    private let clock: any WallClock
    private var clockOffsetMilliseconds: Int64 = 0
    private var messages: [String: Registered] = [:]
    private var knownUsers: Set<String> = []
    private var counts: [String: Int] = [:]
    private var bytesServed: Int64 = 0
    private var markedAsRead: [MarkAsReadRecord] = []
    /// Every `markAsReadToken` the registered messages carried: the only ones `markAsRead` accepts.
    private var issuedTokens: Set<String> = []
    private var attempts: [String: UInt64] = [:]
    private var bucketTokens: Double
    private var bucketUpdated: Double

    struct Registered: Sendable {
        var message: SimulatedMessage
        /// Simulator time (ms) when it was registered: transcoding runs from here.
        var registeredAt: Int64
    }

    /// One `markAsRead` call the simulator was told about.
    public struct MarkAsReadRecord: Sendable, Codable, Equatable {
        public var token: String
        public var at: Int64
    }

    public init(config: SimulatorConfig, clock: any WallClock = SystemClock()) {
        self.config = config
        self.faults = config.faults
        self.clock = clock
        bucketTokens = config.faults.rateBurst
        bucketUpdated = Self.monotonicSeconds()
    }

    // MARK: Clock

    /// The simulator's "now" in ms: its clock plus any offset set through the admin API.
    public func now() -> Int64 { clock.now().milliseconds + clockOffsetMilliseconds }

    /// Moves the simulator's clock forward (or back) by `seconds`.
    public func advanceClock(seconds: Double) { clockOffsetMilliseconds += Int64(seconds * 1000) }

    // MARK: Catalog

    /// Makes messages known, so their content can be served.
    public func register(_ new: [SimulatedMessage]) {
        let at = now()
        for message in new {
            if messages[message.id] == nil { messages[message.id] = Registered(message: message, registeredAt: at) }
            knownUsers.insert(message.userId)
            if let token = message.markAsReadToken { issuedTokens.insert(token) }
        }
    }

    /// Records that the user unsent `id` at `at` (ms): from then on its content answers 410.
    public func unsend(id: String, at: Int64) {
        messages[id]?.message.unsentAt = at
    }

    func registered(_ id: String) -> Registered? { messages[id] }

    func isKnownUser(_ id: String) -> Bool { knownUsers.contains(id) }

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
        bucketTokens = min(bucketTokens, new.rateBurst)
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

    func decide(path: String, isContent: Bool) -> Decision {
        let attempt = attempts[path, default: 0]
        attempts[path] = attempt + 1
        var rng = SeededGenerator(seed: config.seed, "fault", path, String(attempt))
        var decision = Decision()
        if let rate = faults.rateLimit, !takeToken(rate: rate) {
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

    private func takeToken(rate: Double) -> Bool {
        let now = Self.monotonicSeconds()
        bucketTokens = min(faults.rateBurst, bucketTokens + (now - bucketUpdated) * rate)
        bucketUpdated = now
        guard bucketTokens >= 1 else { return false }
        bucketTokens -= 1
        return true
    }

    private static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    // MARK: Counters

    func count(_ route: String, status: Int) { counts["\(route) \(status)", default: 0] += 1 }

    func addBytes(_ n: Int) { bytesServed += Int64(n) }

    /// Records a `markAsRead` call; false for a token no registered message carried, which
    /// LINE refuses.
    func recordMarkAsRead(_ token: String) -> Bool {
        guard issuedTokens.contains(token) else { return false }
        markedAsRead.append(MarkAsReadRecord(token: token, at: now()))
        return true
    }

    /// Requests by route and status, bytes served, and what was marked as read.
    public func stats() -> Stats {
        Stats(requests: counts, bytesServed: bytesServed, markAsRead: markedAsRead, messages: messages.count, now: now())
    }

    /// The simulator's counters, as `GET /admin/stats` returns them.
    public struct Stats: Sendable, Codable, Equatable {
        /// "METHOD route status" → count, e.g. "GET /v2/bot/message/{id}/content 200".
        public var requests: [String: Int]
        public var bytesServed: Int64
        public var markAsRead: [MarkAsReadRecord]
        public var messages: Int
        public var now: Int64

        enum CodingKeys: String, CodingKey {
            case requests, bytesServed = "bytes_served", markAsRead = "mark_as_read", messages, now
        }

        /// The count for one route and status.
        public func count(_ route: String, _ status: Int) -> Int { requests["\(route) \(status)"] ?? 0 }
    }
}
