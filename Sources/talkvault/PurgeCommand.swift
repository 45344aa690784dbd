import ArgumentParser
import Foundation
import Ledger
import Packing
import Purging
import RetentionConfig
import Sweep
import TalkVaultDomain

struct PurgeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge",
        abstract: "Apply the keep rules and the unsent policy: what is due goes, from every copy.",
        discussion: """
        What is due: a message whose keep rule (retention.yaml's keep:) ran out, counted from \
        when it was sent; an unsent message under unsent: redact or delete; a delivered export \
        past keep.exports, counted from the end of its week. Nothing an active hold covers goes. \
        Segments holding what goes are rewritten without it; the ledger's rows are zeroed, the \
        WAL truncated, the search index dropped (the next find builds it again). Each message \
        leaves a tombstone that show and restore name. A purge that stopped part way is finished \
        by the next. --dry-run lists what would go, per rule, and what each hold keeps back.
        """)

    @OptionGroup var global: GlobalOptions
    @Flag(help: "List what would go and what holds keep back; change nothing.") var dryRun = false
    @Flag(help: "Print the report as JSON.") var json = false
    @Flag(help: "Allow a purge that would remove every message in the ledger.") var yesDeleteAll = false
    @Option(help: "Write a Prometheus textfile here (for node_exporter).") var metricsFile: String?

    func run() throws {
        let config = try global.loadConfig()
        try global.recordingLastRun(config, "purge", dryRun: dryRun) { summary in try purge(config, summary: &summary) }
    }

    private func purge(_ config: TalkVaultConfig, summary: inout String?) throws {
        let (lock, ledger, purger) = try global.openPurger(config, dryRun: dryRun)
        defer { lock?.release() }
        let now = try global.clock().now()
        let plan = try purger.plan(rules: config.keep, holds: try ledger.retentionStore.holds(), now: now)
        let unfinished = try ledger.purgeStore.pendingPurges().count
        if dryRun {
            try PurgeSummary(plan: plan, unfinished: unfinished, report: nil).print(json: json)
            try writeMetrics(plan, purged: false, ledger: ledger, now: now)
            return
        }
        if plan.removesEverything && !yesDeleteAll {
            throw Failure(.usage, "the keep rules make all \(plan.ledgerMessages) messages in the ledger due at once; "
                          + "check retention.yaml, then pass --yes-delete-all if that is meant (nothing was changed)")
        }
        guard try plan.messages > 0 || unfinished > 0 || !plan.exports.isEmpty || ledger.purgeStore.compactionOwed() else {
            summary = Self.summary(plan, PurgeReport())
            try PurgeSummary(plan: plan, unfinished: 0, report: PurgeReport()).print(json: json)
            try writeMetrics(plan, purged: true, ledger: ledger, now: now)
            return
        }
        let target = plan.byRule.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.messages) messages, \($0.value.bytes) bytes" }
            + plan.exports.map { "\($0.rule): \($0.file.path)" } + (unfinished > 0 ? ["finishing \(unfinished) messages an interrupted purge decided"] : [])
        let report = try global.audited(config, "purge", target: target) { () throws -> PurgeReport in
            _ = try Packer(stores: ledger.stores, settings: global.packSettings(config), clock: try global.clock()).recover()
            return try purger.execute(plan, holds: try ledger.retentionStore.holds(), now: now)
        }
        summary = Self.summary(plan, report)
        try PurgeSummary(plan: plan, unfinished: unfinished, report: report).print(json: json)
        try writeMetrics(plan, purged: true, ledger: ledger, now: now)
        if !report.walTruncated {
            FileHandle.standardError.write(Data("talkvault: warning: readers kept the ledger's WAL from being truncated; freed pages are zeroed, and the next purge truncates it\n".utf8))
        }
    }

    /// The run's figures, for the console's dashboard.
    static func summary(_ plan: PurgePlan, _ report: PurgeReport) -> String {
        "\(report.messages) messages purged (\(report.contentBytes) content bytes), \(report.rewrites.count) segments rewritten, "
            + "\(report.exportsRemoved.count) exports removed, \(plan.heldBack.values.reduce(0) { $0 + $1.messages }) held back"
    }

    private func writeMetrics(_ plan: PurgePlan, purged: Bool, ledger: Ledger, now: Instant) throws {
        guard let metricsFile else { return }
        let text = PurgeMetrics.render(plan: plan, purged: purged, totals: try ledger.purgeStore.purgeTotals(), now: now)
        do { try SweepMetricsFile.write(text, to: metricsFile) } catch { throw Failure(.ioError, "cannot write \(metricsFile)") }
    }
}
