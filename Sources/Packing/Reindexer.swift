import Archive
import ArchiveRecord
import Foundation
import Store
import TalkVaultDomain

/// What a reindex rebuilt.
public struct ReindexReport: Sendable, Equatable {
    public var segments = 0
    public var records = 0
    public var contentEntries = 0
    /// Segments that could not be read; their messages are missing from the new ledger.
    public var problems: [String] = []

    public init() {}
}

/// Rebuilds a ledger from the archives alone: segments in chain order, each record restoring
/// its message (a later record replaces an earlier one), each manifest restoring where every
/// record and content entry is.
public struct Reindexer {
    let archiveDir: String

    public init(archiveDir: String) {
        self.archiveDir = archiveDir
    }

    public func run(into index: any ArchiveIndex, now: Instant) throws -> ReindexReport {
        var report = ReindexReport()
        var manifests: [(Manifest, String, UInt64)] = []
        for path in SegmentReader.segmentFiles(archiveDir: archiveDir) {
            do {
                let manifest = try SegmentReader.manifest(segment: path, archiveDir: archiveDir)
                let (sha, bytes) = try SegmentReader.fileSHA256(archiveDir + "/" + path)
                manifests.append((manifest, sha, bytes))
            } catch {
                report.problems.append("\(error)")
            }
        }
        // A file a purge's rewrite replaced, still there (a crash before its removal, or a copy
        // taken meanwhile), is not indexed: the rewrite that names it holds what stays of it.
        let replaced = Set(manifests.flatMap { $0.0.rewrites?.map(\.replaced.segment) ?? [] })
        manifests.removeAll { replaced.contains($0.0.segment) }
        for (manifest, sha, bytes) in manifests.sorted(by: { $0.0.sequence < $1.0.sequence }) {
            var versions: [String: Int64] = [:]
            var records: [Manifest.Record] = []
            do {
                try SegmentReader.records(manifest, archiveDir: archiveDir) { scanned, bytes in
                    let decoded: ArchiveRecord
                    do throws(RecordError) { decoded = try RecordCodec.decode(bytes) } catch {
                        throw PackingError.badRecord(segment: manifest.segment, messageId: "at member \(scanned.member) offset \(scanned.offset)",
                                                     problem: error)
                    }
                    try index.restoreArchived(decoded)
                    let id = decoded.message.id
                    var record = scanned
                    record.messageId = id
                    records.append(record)
                    versions[id] = decoded.message.updatedAt.milliseconds
                    report.records += 1
                }
            } catch {
                report.problems.append("\(error)")
                continue
            }
            // The last audit entry copied into the archives: a pack in the new data dir goes on
            // after it when its log holds that entry, and copies the whole log when it does not.
            try index.indexSegment(Packer.segmentRow(manifest, fileSHA256: sha, bytes: bytes),
                                    items: Packer.items(manifest, records: records, versions: versions), states: [],
                                    auditPacked: try? AuditCopies.mark(in: manifest, archiveDir: archiveDir), at: now)
            report.segments += 1
            report.contentEntries += manifest.entries.filter { $0.messageId != nil }.count
        }
        return report
    }
}
