import Foundation
import Purging
import Store
import TalkVaultDomain

/// The purge's Prometheus textfile (`purge --metrics-file`), for node_exporter beside the sweep's.
enum PurgeMetrics {
    static func render(plan: PurgePlan, purged: Bool, totals: (messages: Int, bytes: Int64, erasures: Int), now: Instant) -> String {
        var lines: [String] = []
        func gauge(_ name: String, _ help: String, _ value: Double) {
            lines += ["# HELP \(name) \(help)", "# TYPE \(name) gauge", "\(name) \(value)"]
        }
        gauge("talkvault_held_messages", "Messages an active legal hold covers.", Double(plan.heldMessages))
        gauge("talkvault_purged_messages", "Messages purged, redacted or erased, ever (tombstones).", Double(totals.messages))
        gauge("talkvault_purged_bytes", "Content bytes those messages had.", Double(totals.bytes))
        gauge("talkvault_erased_messages", "Messages erased at a person's request, ever.", Double(totals.erasures))
        // After a purge nothing due is left but what holds keep; a dry run tells how long the oldest has waited.
        let oldest = purged ? nil : plan.oldestDue
        gauge("talkvault_oldest_unpurged_due_age_seconds", "How long the oldest item due under the keep rules has waited to be purged (0: none).",
              oldest.map { Double(max(0, now.milliseconds - $0.milliseconds)) / 1000 } ?? 0)
        gauge("talkvault_purge_last_run_timestamp_seconds", "When purge last ran (a dry run included).", Double(now.milliseconds) / 1000)
        return lines.joined(separator: "\n") + "\n"
    }
}
