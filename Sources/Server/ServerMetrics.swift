import Foundation
import Intake
import Metrics
import Prometheus
import TalkVaultDomain

/// The receiver's Prometheus metrics. Each server has its own registry, so tests can run
/// several side by side; `/metrics` renders it in the Prometheus text format.
public final class ServerMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    /// For the metrics of services `serve` runs beside the receiver (the relay's).
    public var metricsFactory: any MetricsFactory { factory }
    let requests: [String: Metrics.Counter]
    let eventsReceived: Metrics.Counter
    let eventsStored: Metrics.Counter
    let eventsDuplicate: Metrics.Counter
    let eventsConflicting: Metrics.Counter
    let messagesNew: Metrics.Counter
    let latency: Timer
    let batchSize: Recorder
    let commitDuration: Timer
    let commitsOnCaller: Metrics.Counter
    let inboxBodies: Metrics.Gauge
    let inboxApplied: Metrics.Counter
    let inboxRejected: Metrics.Counter
    let applyLag: Metrics.Gauge
    let ledgerMessages: Metrics.Gauge
    let ledgerBytes: Metrics.Gauge
    let atRisk: Metrics.Gauge
    let overdue: Metrics.Gauge
    let lost: [String: Metrics.Gauge]
    let unsent: Metrics.Gauge
    let inboxRejectedNow: Metrics.Gauge
    let inboxDamage: Metrics.Gauge

    /// Request outcomes, as the `outcome` label of `talkvault_webhook_requests_total`.
    static let outcomes = ["stored", "bad_signature", "unknown_destination", "malformed", "too_large", "unreadable", "timeout", "failed"]

    public init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        // A stored body's request and its commit take well under the library's first bucket
        // (5 ms), and a batch under its first (5 bodies).
        factory.defaultDurationHistogramBuckets = [.microseconds(100), .microseconds(250), .microseconds(500)]
            + [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000].map { Duration.microseconds(Int64($0 * 1_000)) }
        factory.valueHistogramBuckets["talkvault_commit_batch_bodies"] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1_000]
        self.factory = factory
        requests = Dictionary(uniqueKeysWithValues: Self.outcomes.map {
            ($0, Metrics.Counter(label: "talkvault_webhook_requests_total", dimensions: [("outcome", $0)], factory: factory))
        })
        eventsReceived = Metrics.Counter(label: "talkvault_events_received_total", factory: factory)
        eventsStored = Metrics.Counter(label: "talkvault_events_stored_total", factory: factory)
        eventsDuplicate = Metrics.Counter(label: "talkvault_events_duplicate_total", factory: factory)
        eventsConflicting = Metrics.Counter(label: "talkvault_events_conflicting_total", factory: factory)
        messagesNew = Metrics.Counter(label: "talkvault_messages_captured_total", factory: factory)
        latency = Timer(label: "talkvault_webhook_request_duration_seconds", factory: factory)
        batchSize = Recorder(label: "talkvault_commit_batch_bodies", factory: factory)
        commitDuration = Timer(label: "talkvault_commit_duration_seconds", factory: factory)
        commitsOnCaller = Metrics.Counter(label: "talkvault_commits_on_caller_total", factory: factory)
        inboxBodies = Metrics.Gauge(label: "talkvault_inbox_bodies", factory: factory)
        inboxApplied = Metrics.Counter(label: "talkvault_inbox_applied_bodies_total", factory: factory)
        inboxRejected = Metrics.Counter(label: "talkvault_inbox_rejected_bodies_total", factory: factory)
        applyLag = Metrics.Gauge(label: "talkvault_inbox_apply_lag_seconds", factory: factory)
        ledgerMessages = Metrics.Gauge(label: "talkvault_ledger_messages", factory: factory)
        ledgerBytes = Metrics.Gauge(label: "talkvault_ledger_size_bytes", factory: factory)
        atRisk = Metrics.Gauge(label: "talkvault_items_at_risk", factory: factory)
        overdue = Metrics.Gauge(label: "talkvault_items_overdue", factory: factory)
        lost = Dictionary(uniqueKeysWithValues: LossReason.allCases.map {
            ($0.rawValue, Metrics.Gauge(label: "talkvault_items_lost", dimensions: [("reason", $0.rawValue)], factory: factory))
        })
        unsent = Metrics.Gauge(label: "talkvault_items_unsent", factory: factory)
        inboxRejectedNow = Metrics.Gauge(label: "talkvault_inbox_rejected_bodies", factory: factory)
        inboxDamage = Metrics.Gauge(label: "talkvault_inbox_damage_findings", factory: factory)
        for counter in requests.values { counter.increment(by: 0) }
        commitsOnCaller.increment(by: 0)
    }

    func request(_ outcome: String) { requests[outcome]?.increment() }

    func record(_ commit: GroupCommitter.CommitSummary) {
        batchSize.record(commit.bodies)
        commitDuration.recordNanoseconds(Int64(commit.seconds * 1e9))
        if commit.onCaller { commitsOnCaller.increment() }
    }

    /// Event counts come from the apply: that is where events are told apart.
    func record(_ apply: GroupCommitter.ApplySummary, now: Instant) {
        let counts = apply.applied.counts
        inboxApplied.increment(by: apply.applied.bodies)
        inboxRejected.increment(by: apply.applied.rejected)
        eventsReceived.increment(by: counts.eventsRead)
        eventsStored.increment(by: counts.newEvents)
        eventsDuplicate.increment(by: counts.duplicateEvents)
        eventsConflicting.increment(by: counts.conflictingEvents)
        messagesNew.increment(by: counts.newMessages)
        inboxBodies.record(apply.backlog)
        if let oldest = apply.applied.oldestReceivedAt {
            applyLag.record(Double(max(0, now.milliseconds - oldest.milliseconds)) / 1000)
        }
    }

    func update(from status: StatusReport, inbox: LedgerReader.InboxProblems, ledgerBytes bytes: Int64) {
        inboxRejectedNow.record(inbox.rejected)
        inboxDamage.record(inbox.damage)
        ledgerMessages.record(status.ledger.messages)
        ledgerBytes.record(bytes)
        atRisk.record(status.atRisk.count)
        overdue.record(status.atRisk.overdue)
        for (reason, gauge) in lost { gauge.record(status.lost.byReason[reason] ?? 0) }
        unsent.record(status.lost.unsent)
    }

    /// The Prometheus text exposition.
    public func render() -> String { registry.emitToString() }
}
