import ArgumentParser
import Foundation
import Intake
import Ledger
import Store
import Packing
import RetentionConfig
import AuditTrail

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every archive segment, the hash chain, and the ledger against them.",
        discussion: """
        Every segment's bytes are hashed and checked against its manifest and the chain; a sample \
        of members is inflated and checked (--deep inflates all, and compares every message's \
        newest record with its ledger row). The webhook inbox is read for damage, and bodies that \
        could not be applied are listed, and the audit trail's hash chain is checked. Exits 0 when all is well, 65 with a report naming each \
        damaged, missing or reordered segment, each record the ledger disagrees with, and each \
        damaged inbox file otherwise.
        """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Inflate and check every member, not a sample, and compare each record with the ledger.")
    var deep = false

    @Flag(help: "Print the report as JSON.")
    var json = false

    func run() throws {
        let config = try global.loadConfig()
        try global.recordingLastRun(config, "verify") { summary in try verify(config, summary: &summary) }
    }

    private func verify(_ config: TalkVaultConfig, summary: inout String?) throws {
        let paths = global.paths(config)
        let ledger = FileManager.default.fileExists(atPath: paths.database) ? try global.openLedgerForReading(config) : nil
        var report = try Verifier(archiveDir: paths.archiveDir, index: ledger?.archiveIndex, deep: deep).run()
        // The webhook inbox: acknowledged bodies lost to damage, or kept aside unapplied.
        if let ledger { report.problems += try InboxApplier(ledger).health().problems }
        // The audit trail's chain: an entry edited, removed, added or moved is named by its line.
        let log = AuditLog(dataDir: paths.dataDir)
        let audit = log.verify()
        if let problem = audit.problem {
            report.problems.append("\(log.path):\(problem.line): \(problem.problem) (\(audit.entries) entries before it check out)")
        }
        summary = "\(report.segments) segments and \(report.entriesChecked) entries checked (\(deep ? "deep" : "sampled")), "
            + "\(audit.entries) audit-trail entries; \(report.problems.count) problems"
        if json {
            try printJSON(VerifySummary(report, deep: deep, auditEntries: audit.entries))
        } else {
            print("\(report.segments) segments, \(report.bytes) bytes hashed; \(report.membersInflated) members inflated, "
                  + "\(report.entriesChecked) entries and \(report.recordsChecked) records checked"
                  + (deep && ledger != nil ? " (\(report.recordsCompared) compared with the ledger); " : "; ")
                  + "\(report.ledgerItemsChecked) ledger locations checked" + (deep ? " (deep)" : " (sampled; --deep checks all)")
                  + "; \(audit.entries) audit-trail entries checked")
            for problem in report.problems { print("PROBLEM: \(problem)") }
            print(report.ok ? "OK" : "\(report.problems.count) problems")
        }
        if !report.ok { throw Failure(.dataError, "verify found \(report.problems.count) problems") }
    }
}

struct VerifySummary: Encodable {
    var ok: Bool
    var deep: Bool
    var segments: Int
    var bytes: UInt64
    var membersInflated: Int
    var entriesChecked: Int
    var recordsChecked: Int
    var recordsCompared: Int
    var ledgerItemsChecked: Int
    var auditEntriesChecked: Int
    var problems: [String]

    init(_ report: VerifyReport, deep: Bool, auditEntries: Int) {
        ok = report.ok
        self.deep = deep
        segments = report.segments
        bytes = report.bytes
        membersInflated = report.membersInflated
        entriesChecked = report.entriesChecked
        recordsChecked = report.recordsChecked
        recordsCompared = report.recordsCompared
        ledgerItemsChecked = report.ledgerItemsChecked
        auditEntriesChecked = auditEntries
        problems = report.problems
    }

    enum CodingKeys: String, CodingKey {
        case ok, deep, segments, bytes, problems
        case membersInflated = "members_inflated", entriesChecked = "entries_checked", recordsChecked = "records_checked"
        case recordsCompared = "records_compared"
        case ledgerItemsChecked = "ledger_items_checked"
        case auditEntriesChecked = "audit_entries_checked"
    }
}
