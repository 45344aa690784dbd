import Metrics
import Store

/// Per target: bodies delivered, refused and dead, tries after the first, and how far behind
/// it is (`talkvault_relay_*{target="…"}`).
struct RelayMetrics: Sendable {
    private let delivered: [String: Counter]
    private let refused: [String: Counter]
    private let dead: [String: Counter]
    private let retried: [String: Counter]
    private let lagSeconds: [String: Gauge]
    private let lagBodies: [String: Gauge]

    init(names: [String], factory: (any MetricsFactory)?) {
        func make<M>(_ label: String, _ build: (String, [(String, String)], any MetricsFactory) -> M) -> [String: M] {
            guard let factory else { return [:] }
            return Dictionary(uniqueKeysWithValues: names.map { ($0, build(label, [("target", $0)], factory)) })
        }
        delivered = make("talkvault_relay_delivered_total") { Counter(label: $0, dimensions: $1, factory: $2) }
        refused = make("talkvault_relay_refused_total") { Counter(label: $0, dimensions: $1, factory: $2) }
        dead = make("talkvault_relay_dead_total") { Counter(label: $0, dimensions: $1, factory: $2) }
        retried = make("talkvault_relay_retried_total") { Counter(label: $0, dimensions: $1, factory: $2) }
        lagSeconds = make("talkvault_relay_lag_seconds") { Gauge(label: $0, dimensions: $1, factory: $2) }
        lagBodies = make("talkvault_relay_lag_bodies") { Gauge(label: $0, dimensions: $1, factory: $2) }
    }

    func count(_ outcome: RelayOutcome, for name: String) {
        switch outcome {
        case .delivered(let attempts):
            delivered[name]?.increment()
            retried[name]?.increment(by: attempts - 1)
        case .refused(_, let attempts):
            refused[name]?.increment()
            retried[name]?.increment(by: max(0, attempts - 1))
        case .dead(_, let attempts):
            dead[name]?.increment()
            retried[name]?.increment(by: max(0, attempts - 1))
        case .skipped:
            dead[name]?.increment()
        case .passed:
            break
        }
    }

    func lag(seconds: Double, for name: String) { lagSeconds[name]?.record(seconds) }

    func lag(bodies: Int, for name: String) { lagBodies[name]?.record(bodies) }
}
