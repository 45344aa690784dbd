import ArgumentParser
import LINESimulator

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
