/// A token bucket: `rate` requests per second on average, bursts up to `burst`. A 429 halves
/// the rate for the rest of the run and pauses every request until LINE's `Retry-After`.
/// Pure arithmetic on readings of a `WaitingClock` (milliseconds), never on wall time: a fixed
/// or jumping "now" must not stop the refill. The caller sleeps.
public struct TokenBucket: Sendable, Equatable {
    public private(set) var rate: Double
    public let burst: Double
    public let minimumRate: Double
    private var tokens: Double
    private var last: Int64
    private var pausedUntil: Int64

    /// `at` is the waiting clock's reading when the bucket starts, full.
    public init(rate: Double, burst: Double, at elapsed: Int64, minimumRate: Double = 1) {
        self.rate = max(rate, minimumRate)
        self.burst = max(1, burst)
        self.minimumRate = minimumRate
        tokens = max(1, burst)
        last = elapsed
        pausedUntil = elapsed
    }

    /// Takes a token and returns nil, or returns how many milliseconds to wait before asking again.
    public mutating func take(at elapsed: Int64) -> Int64? {
        if elapsed < pausedUntil { return pausedUntil - elapsed }
        let seconds = Double(max(0, elapsed - last)) / 1000
        tokens = min(burst, tokens + seconds * rate)
        last = max(last, elapsed)
        if tokens >= 1 {
            tokens -= 1
            return nil
        }
        return max(1, Int64(((1 - tokens) / rate * 1000).rounded(.up)))
    }

    /// LINE said 429: pause everyone for `retryAfterSeconds` (or `fallbackMilliseconds`), and halve the rate.
    public mutating func throttled(at elapsed: Int64, retryAfterSeconds: Double?, fallbackMilliseconds: Int64) {
        // Clamped: a huge or non-finite Retry-After must neither trap nor outlast the hourly run.
        let pause = retryAfterSeconds.map { Int64(min(max(0, $0), 3_600) * 1000) } ?? fallbackMilliseconds
        pausedUntil = max(pausedUntil, elapsed + pause)
        rate = max(minimumRate, rate / 2)
        tokens = 0
    }
}

/// Exponential backoff with jitter: `base · 2^attempt`, capped, scaled by a factor in [0.5, 1).
public enum Backoff {
    /// `jitter` is a random number in [0, 1), injected so tests are deterministic.
    public static func milliseconds(attempt: Int, baseMilliseconds: Int64, capMilliseconds: Int64, jitter: Double) -> Int64 {
        let exponential = Double(baseMilliseconds) * Double(1 << min(max(attempt, 0), 20))
        let capped = min(Double(capMilliseconds), exponential)
        return max(1, Int64(capped * (0.5 + 0.5 * min(max(jitter, 0), 0.999))))
    }
}

/// The order a sweep downloads in.
public enum SweepOrder: String, Sendable, CaseIterable {
    /// Earliest deadline first: what `sweep` does.
    case edf
    /// First in, first out by send time: only for comparison.
    case fifo
}
