import Foundation
import Metrics
import Prometheus
import TalkVaultDomain

/// The receiver's Prometheus metrics. Each server has its own registry, so tests can run
/// several side by side; `/metrics` renders it in the Prometheus text format.
public final class ServerMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    let requests: [String: Metrics.Counter]
    let eventsReceived: Metrics.Counter
    let eventsStored: Metrics.Counter
    let eventsDuplicate: Metrics.Counter
    let eventsConflicting: Metrics.Counter
    let messagesNew: Metrics.Counter
    let latency: Timer
    let batchSize: Recorder
    let ledgerMessages: Metrics.Gauge
    let ledgerBytes: Metrics.Gauge
    let atRisk: Metrics.Gauge
    let overdue: Metrics.Gauge
    let lost: [String: Metrics.Gauge]
    let unsent: Metrics.Gauge

    /// Request outcomes, as the `outcome` label of `talkvault_webhook_requests_total`.
    static let outcomes = ["stored", "bad_signature", "malformed", "too_large", "failed"]

    public init() {
        factory = PrometheusMetricsFactory(registry: registry)
        let factory = self.factory
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
        ledgerMessages = Metrics.Gauge(label: "talkvault_ledger_messages", factory: factory)
        ledgerBytes = Metrics.Gauge(label: "talkvault_ledger_size_bytes", factory: factory)
        atRisk = Metrics.Gauge(label: "talkvault_items_at_risk", factory: factory)
        overdue = Metrics.Gauge(label: "talkvault_items_overdue", factory: factory)
        lost = Dictionary(uniqueKeysWithValues: LossReason.allCases.map {
            ($0.rawValue, Metrics.Gauge(label: "talkvault_items_lost", dimensions: [("reason", $0.rawValue)], factory: factory))
        })
        unsent = Metrics.Gauge(label: "talkvault_items_unsent", factory: factory)
        for counter in requests.values { counter.increment(by: 0) }
    }

    func request(_ outcome: String) { requests[outcome]?.increment() }

    func record(_ batch: GroupCommitter.BatchSummary) {
        batchSize.record(batch.bodies)
        eventsReceived.increment(by: batch.counts.eventsRead)
        eventsStored.increment(by: batch.counts.newEvents)
        eventsDuplicate.increment(by: batch.counts.duplicateEvents)
        eventsConflicting.increment(by: batch.counts.conflictingEvents)
        messagesNew.increment(by: batch.counts.newMessages)
    }

    func update(from status: StatusReport, ledgerBytes bytes: Int64) {
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
