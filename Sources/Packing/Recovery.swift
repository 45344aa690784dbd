import Archive
import ArchiveRecord
import Foundation
import Store
import TalkVaultDomain

/// What a start-up recovery found and did.
public struct RecoveryReport: Sendable, Equatable {
    /// Temporary files of an interrupted pack, removed.
    public var removedTemporary: [String] = []
    /// Published segments the ledger did not know yet, now indexed.
    public var indexed: [String] = []
    /// Files left over from a purge's segment rewrite that a crash interrupted, removed.
    public var removedReplaced: [String] = []
    /// Staged downloads already archived, removed.
    public var removedStaged = 0

    public init() {}
}

/// Errors from packing that are not the archive's or the ledger's own.
public enum PackingError: Error, Equatable, CustomStringConvertible {
    /// A segment on disk does not continue the indexed chain; it is left alone for `verify`.
    case outOfChain(segment: String, detail: String)
    /// A record in a segment could not be decoded.
    case badRecord(segment: String, messageId: String, problem: RecordError)

    public var description: String {
        switch self {
        case .outOfChain(let segment, let detail): return "\(segment): does not continue the chain (\(detail)); run `talkvault verify`"
        case .badRecord(let segment, let id, let problem): return "\(segment): the record of message \(id) cannot be decoded (\(problem))"
        }
    }
}

/// Brings the ledger and the archive dir back in step after a crash: temporary files go,
/// published segments the ledger lacks are indexed from their own manifests, and staged
/// files whose content is archived are deleted.
struct Recovery {
    let index: any ArchiveIndex
    let archiveDir: String
    let dataDir: DataDir

    func run(now: Instant) throws -> RecoveryReport {
        var report = RecoveryReport()
        for temporary in SegmentReader.temporaryFiles(archiveDir: archiveDir) {
            unlink(archiveDir + "/" + temporary)
            report.removedTemporary.append(temporary)
        }
        let segments = try index.allSegments()
        let indexed = Set(segments.map(\.path))
        let pathBySequence = Dictionary(segments.map { ($0.seq, $0.path) }, uniquingKeysWith: { first, _ in first })
        let replaced = try index.replacedSegmentPaths()
        var pending: [Manifest] = []
        for path in SegmentReader.segmentFiles(archiveDir: archiveDir) where !indexed.contains(path) {
            // A file a purge's rewrite replaced, left by a crash before it was removed.
            if replaced.contains(path) {
                unlink(archiveDir + "/" + path)
                report.removedReplaced.append(path)
                continue
            }
            let manifest = try SegmentReader.manifest(segment: path, archiveDir: archiveDir)
            // A rewrite published but not indexed: the indexed file is whole, and the purge does it again.
            if let rewrite = manifest.rewrites?.last, pathBySequence[manifest.sequence] == rewrite.replaced.segment {
                unlink(archiveDir + "/" + path)
                report.removedReplaced.append(path)
                continue
            }
            pending.append(manifest)
        }
        for manifest in pending.sorted(by: { $0.sequence < $1.sequence }) {
            try index(manifest, now: now)
            report.indexed.append(manifest.segment)
        }
        for staged in try index.stagedFilesAlreadyArchived() {
            // Only this data dir's own files are deleted; a path elsewhere is just forgotten.
            if let file = dataDir.resolve(staged.file), unlink(file) == 0 { report.removedStaged += 1 }
            try index.forgetStagedFile(id: staged.id)
        }
        return report
    }

    /// Indexes a published segment from its manifest and records, as the pack that wrote it
    /// would have.
    private func index(_ manifest: Manifest, now: Instant) throws {
        let head = try index.lastSegment()
        guard manifest.sequence == (head?.seq ?? 0) + 1 else {
            throw PackingError.outOfChain(segment: manifest.segment, detail: "sequence \(manifest.sequence) after \(head?.seq ?? 0)")
        }
        guard manifest.previous?.sha256 == head?.fileSHA256 else {
            throw PackingError.outOfChain(segment: manifest.segment, detail: "its previous-segment hash is not the last segment's")
        }
        let (sha, bytes) = try SegmentReader.fileSHA256(archiveDir + "/" + manifest.segment)
        var states: [PackedState] = []
        var versions: [String: Int64] = [:]
        var records: [Manifest.Record] = []
        try SegmentReader.records(manifest, archiveDir: archiveDir) { scanned, bytes in
            let message: ArchiveRecord.Message
            do throws(RecordError) { message = try RecordCodec.decode(bytes).message } catch {
                throw PackingError.badRecord(segment: manifest.segment, messageId: "at member \(scanned.member) offset \(scanned.offset)",
                                             problem: error)
            }
            let id = message.id, updated = message.updatedAt.milliseconds, state = message.state
            var record = scanned
            record.messageId = id
            records.append(record)
            states.append(PackedState(messageId: id, state: state, updatedAtMs: updated))
            versions[id] = updated
        }
        // The audit entries it holds a copy of are copied: the next pack goes on after them. A
        // copy that cannot be read only means the next pack copies those entries again.
        try index.indexSegment(Packer.segmentRow(manifest, fileSHA256: sha, bytes: bytes),
                                items: Packer.items(manifest, records: records, versions: versions), states: states,
                                auditPacked: try? AuditCopies.mark(in: manifest, archiveDir: archiveDir), at: now)
    }
}
