import Foundation
import Sweep

/// What `sweep` prints: the plan of a dry run, or what a run did.
enum SweepReportText {
    static func render(_ report: SweepReport, dryRun: Bool) -> String {
        var out = ""
        if dryRun {
            out += "plan: \(report.planned) items, earliest deadline first\n"
            for item in report.plan {
                out += "  \(item.deadline)  \(String(format: "%8.1f", Double(item.secondsLeft) / 3600))h  \(item.kind.padding(toLength: 6, withPad: " ", startingAt: 0)) \(item.messageId)\(item.provider == "external" ? " (external)" : "")\n"
            }
            return out
        }
        let lost = report.lost.filter { $0.value > 0 }.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        out += "planned      \(report.planned)\n"
        out += "downloaded   \(report.downloaded) (\(report.bytes) bytes)\n"
        out += "retried      \(report.retried) requests\n"
        out += "left         \(report.leftForNextRun) for the next run (retry budget spent, or no access token for their channel: "
            + "see the log), \(report.waitingTranscode) still transcoding\n"
        if report.needsDiskSpace {
            out += "disk full    \(report.leftForDiskSpace) not downloaded, \(report.unpackedForDiskSpace) not packed (next run with room)\n"
        }
        out += "lost         \(lost.isEmpty ? "none" : lost.joined(separator: ", "))\n"
        out += "unsent       \(report.unsent)\n"
        out += "read receipts \(report.receiptsSent) sent to LINE\(report.receiptsFailed > 0 ? ", \(report.receiptsFailed) failed (next run)" : "")"
            + "\(report.receiptsRefused > 0 ? ", \(report.receiptsRefused) refused by LINE (not sent again; `show` says why)" : "")\n"
        out += "archived     \(report.packedRecords) records, \(report.packedContent) content files\n"
        for segment in report.segments { out += "             \(segment)\n" }
        out += "at risk      \(report.atRisk) (\(report.overdue) past their deadline)\n"
        out += "next deadline \(report.nextDeadline ?? "none")\n"
        out += "disk         \(report.diskAvailableBytes.map { "\($0) bytes free, " } ?? "")\(report.stagedBytes) bytes staged\n"
        return out
    }
}
