import Foundation
import TalkVaultDomain

/// The sweep's Prometheus textfile, for node_exporter's textfile collector: written to a
/// temporary file and renamed, so the collector never reads half of it.
public enum SweepMetricsFile {
    public static func render(_ report: SweepReport, finishedAtSeconds: Double, nextDeadlineSeconds: Double?) -> String {
        var lines: [String] = []
        func gauge(_ name: String, _ help: String, _ samples: [(String, Double)]) {
            lines.append("# HELP \(name) \(help)")
            lines.append("# TYPE \(name) gauge")
            for (labels, value) in samples { lines.append("\(name)\(labels) \(value)") }
        }
        gauge("talkvault_sweep_last_run_timestamp_seconds", "When the last sweep finished.", [("", finishedAtSeconds)])
        gauge("talkvault_sweep_duration_seconds", "How long the last sweep took.", [("", report.seconds)])
        gauge("talkvault_sweep_planned_items", "Items whose content was due at the start of the last sweep.", [("", Double(report.planned))])
        gauge("talkvault_sweep_downloaded_items", "Items downloaded by the last sweep.", [("", Double(report.downloaded))])
        gauge("talkvault_sweep_downloaded_bytes", "Bytes downloaded by the last sweep.", [("", Double(report.bytes))])
        gauge("talkvault_sweep_retried_requests", "Requests the last sweep retried.", [("", Double(report.retried))])
        gauge("talkvault_sweep_left_items", "Items left for the next sweep (retry budget spent or still transcoding).",
              [("", Double(report.leftForNextRun + report.waitingTranscode))])
        gauge("talkvault_sweep_lost_items", "Items newly lost in the last sweep, by reason.",
              LossReason.allCases.map(\.rawValue).map { ("{reason=\"\($0)\"}", Double(report.lost[$0] ?? 0)) })
        gauge("talkvault_sweep_unsent_items", "Items found unsent (410) by the last sweep.", [("", Double(report.unsent))])
        gauge("talkvault_sweep_stopped_for_disk_space", "1 when the last sweep stopped downloading for lack of disk space.",
              [("", report.stoppedForDiskSpace ? 1 : 0)])
        gauge("talkvault_sweep_disk_space_left_items", "Items the last sweep did not download, or did not pack, for lack of disk space.",
              [("{step=\"download\"}", Double(report.leftForDiskSpace)), ("{step=\"pack\"}", Double(report.unpackedForDiskSpace))])
        gauge("talkvault_staged_bytes", "Bytes downloaded and waiting to be packed.", [("", Double(report.stagedBytes))])
        if let available = report.diskAvailableBytes {
            gauge("talkvault_disk_available_bytes", "Free bytes in the data dir after the last sweep.", [("", Double(available))])
        }
        gauge("talkvault_items_at_risk", "Items not archived whose deadline is within the safety margin.", [("", Double(report.atRisk))])
        gauge("talkvault_items_overdue", "Items not archived and past their deadline.", [("", Double(report.overdue))])
        if let nextDeadlineSeconds {
            gauge("talkvault_next_deadline_timestamp_seconds", "The earliest deadline of an item not yet archived.", [("", nextDeadlineSeconds)])
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public static func write(_ text: String, to path: String) throws {
        let temporary = path + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"
        try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw CocoaError(.fileWriteUnknown)
        }
    }
}
