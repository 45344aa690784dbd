import ArgumentParser
import Foundation
import Packing
import RetentionConfig

struct PackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pack",
        abstract: "Pack everything ready into today's dated archive segment.",
        discussion: """
        Ready means: downloaded content, text, sticker and location messages not yet archived, and \
        records that changed since they were archived (edits, unsends, losses). It first recovers \
        from any interrupted pack. `talkvault sweep` runs the same step after downloading.
        """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print the report as JSON.")
    var json = false

    func run() throws {
        let config = try global.loadConfig()
        try global.recordingLastRun(config, "pack") { summary in try pack(config, summary: &summary) }
    }

    private func pack(_ config: TalkVaultConfig, summary: inout String?) throws {
        let paths = global.paths(config)
        let lock = try PackLock.acquire(dataDir: paths.dataDir)
        defer { lock.release() }
        let ledger = try global.openLedgerForWriting(config, create: true)
        let packer = Packer(stores: ledger.stores, settings: global.packSettings(config), clock: try global.clock())
        let report = try packer.pack()
        summary = "\(report.records) records and \(report.contentEntries) content files packed into \(report.segments.count) segments"
            + (report.leftForSpace.isEmpty ? "" : ", \(report.leftForSpace.count) left staged for space")
        if let problem = report.auditProblem {
            FileHandle.standardError.write(Data("talkvault: warning: the audit log's new entries were not copied into the archives (the next pack copies them): \(problem)\n".utf8))
        }
        if json {
            try printJSON(PackSummary(report, archiveDir: paths.archiveDir))
        } else {
            print(Self.render(report, archiveDir: paths.archiveDir), terminator: "")
        }
        if !report.leftForSpace.isEmpty {
            throw Failure(.ioError, "the disk is too full: \(report.leftForSpace.count) downloads were left staged; free some space")
        }
    }

    static func render(_ report: PackReport, archiveDir: String) -> String {
        var out = ""
        for path in report.recovery.removedTemporary { out += "recovered: removed unfinished \(path)\n" }
        for path in report.recovery.indexed { out += "recovered: indexed \(path)\n" }
        for id in report.discarded { out += "message \(id): staged download missing or altered; it will be downloaded again\n" }
        for id in report.leftForSpace { out += "message \(id): does not fit on the disk; left staged for a later pack\n" }
        guard !report.segments.isEmpty else { return out + "nothing to pack\n" }
        out += "packed \(report.records) records and \(report.contentEntries) content files (\(report.contentBytes) bytes) into \(report.segmentBytes) bytes:\n"
        for segment in report.segments { out += "  \(archiveDir)/\(segment)\n" }
        if report.auditEntries > 0 { out += "with a copy of \(report.auditEntries) new audit-log entries\n" }
        return out
    }
}

/// `pack --json`.
struct PackSummary: Encodable {
    var segments: [String]
    var records: Int
    var contentEntries: Int
    var contentBytes: UInt64
    var segmentBytes: UInt64
    var discarded: [String]
    var leftForSpace: [String]
    var recoveredTemporary: [String]
    var recoveredIndexed: [String]
    var auditEntries: Int

    init(_ report: PackReport, archiveDir: String) {
        segments = report.segments.map { archiveDir + "/" + $0 }
        records = report.records
        contentEntries = report.contentEntries
        contentBytes = report.contentBytes
        segmentBytes = report.segmentBytes
        discarded = report.discarded
        leftForSpace = report.leftForSpace
        recoveredTemporary = report.recovery.removedTemporary
        recoveredIndexed = report.recovery.indexed
        auditEntries = report.auditEntries
    }

    enum CodingKeys: String, CodingKey {
        case segments, records, discarded
        case contentEntries = "content_entries", contentBytes = "content_bytes", segmentBytes = "segment_bytes"
        case recoveredTemporary = "recovered_temporary", recoveredIndexed = "recovered_indexed", leftForSpace = "left_for_space"
        case auditEntries = "audit_entries"
    }
}
