import Archive
import ArchiveRecord
import AuditTrail
import Foundation
import Store
import TalkVaultDomain
import DurableFile

/// Where and how segments are written.
public struct PackSettings: Sendable {
    /// The data dir: staged downloads are recorded relative to it, and nothing outside it is
    /// read or deleted.
    public var dataDir: String
    public var archiveDir: String
    public var timeZone: TimeZone
    public var segment: SegmentWriter.Settings
    public var segmentMaxBytes: UInt64
    /// Records per segment, at most: bounds the memory a pack holds for its manifest.
    public var segmentMaxRecords: Int

    public init(dataDir: String, archiveDir: String, timeZone: TimeZone, segment: SegmentWriter.Settings, segmentMaxBytes: UInt64 = 1 << 30,
                segmentMaxRecords: Int = 200_000) {
        self.dataDir = dataDir
        self.archiveDir = archiveDir
        self.timeZone = timeZone
        self.segment = segment
        self.segmentMaxBytes = segmentMaxBytes
        self.segmentMaxRecords = segmentMaxRecords
    }
}

/// What a pack did.
public struct PackReport: Sendable, Equatable {
    public var segments: [String] = []
    public var records = 0
    public var contentEntries = 0
    public var contentBytes: UInt64 = 0
    public var segmentBytes: UInt64 = 0
    /// Downloads whose staged file was missing, outside the data dir, or did not match: back to `content_due`.
    public var discarded: [String] = []
    /// Downloads left staged because they did not fit on the disk; a later pack takes them.
    public var leftForSpace: [String] = []
    /// Audit-log entries copied into the segments (`audit/audit-F-L.jsonl`).
    public var auditEntries = 0
    /// Why the audit log's new entries were not copied (it could not be read); the next pack
    /// copies them.
    public var auditProblem: String?
    public var recovery = RecoveryReport()

    public init() {}
}

/// The steps of the crash-safe protocol, so tests can stop a pack between any two of them.
public enum PackStep: Sendable, CaseIterable {
    case written, published, indexed, cleaned
}

/// Packs what is ready into dated segments: write to a temporary file and fsync it, publish it
/// under its final name and fsync the directory, and only then index it in the ledger. A
/// crash anywhere leaves either no trace (the temporary file is removed on the next start) or
/// a published segment the next start indexes from its own manifest.
public final class Packer {
    let stores: Stores
    let settings: PackSettings
    let clock: any WallClock
    /// Free space in the archive dir: content goes in only while it fits (`DiskReserve`).
    let disk: any DiskSpace
    let reserve = DiskReserve(reserveBytes: 0)
    /// Called after each step; a test can throw from it to simulate a crash there.
    var afterStep: (PackStep) throws -> Void = { _ in }
    private var leftForSpace = Set<String>()

    public init(stores: Stores, settings: PackSettings, clock: any WallClock, disk: any DiskSpace = SystemDiskSpace()) {
        self.stores = stores
        self.settings = settings
        self.clock = clock
        self.disk = disk
    }

    /// Brings the ledger and the archive dir back in step after a crash (what `pack` does first).
    public func recover() throws -> RecoveryReport {
        try Recovery(index: stores.archiveIndex, archiveDir: settings.archiveDir, dataDir: DataDir(settings.dataDir)).run(now: clock.now())
    }

    /// Recovers from an earlier crash, then packs everything ready, in as many segments as
    /// the size limits need.
    public func pack() throws -> PackReport {
        var report = PackReport()
        leftForSpace = []
        defer { leftForSpace = [] }
        report.recovery = try recover()
        while true {
            let candidates = try stores.archiveIndex.packCandidates(limit: settings.segmentMaxRecords)
            guard !candidates.isEmpty else { break }
            let before = report.records
            try packSegment(candidates, report: &report)
            // Nothing packable was left in this batch (all discarded): stop rather than spin.
            if report.records == before { break }
        }
        report.leftForSpace = leftForSpace.sorted()
        // Housekeeping: the change log behind find's index shrinks to what it has not taken in.
        // A failure (say, the index is being rebuilt) only leaves the rows for the next pack.
        try? stores.search.pruneIndexedChanges()
        return report
    }

    private func packSegment(_ candidates: [ArchivableMessage], report: inout PackReport) throws {
        let now = clock.now()
        let head = try stores.archiveIndex.lastSegment()
        let (relative, directory) = try nextSegmentPath(now: now)
        let writer = try SegmentWriter(
            directory: directory, relativePath: relative, sequence: (head?.seq ?? 0) + 1, createdAtMs: now.milliseconds,
            previous: head.map { Manifest.ChainLink(segment: $0.path, sha256: $0.fileSHA256) }, settings: settings.segment)
        var states: [PackedState] = []
        var staged: [(id: String, file: String)] = []
        var versions: [String: Int64] = [:]
        var contentBytes: UInt64 = 0, contentEntries = 0
        for candidate in candidates {
            let message = candidate.record.message
            var record = candidate.record
            if message.state == .downloaded {
                // A path outside this data dir (an older ledger's, perhaps the original's of
                // this copy) is never read: the download counts as missing.
                guard let file = candidate.stagedFile.flatMap(DataDir(settings.dataDir).resolve),
                      FileManager.default.fileExists(atPath: file) else {
                    try stores.contentQueue.discardDownload(id: message.id, at: now, reason: "staged file missing")
                    report.discarded.append(message.id)
                    continue
                }
                // Content that would fill the disk waits, staged; the records around it still go in.
                if let size = message.contentSize, let available = disk.availableBytes(at: settings.archiveDir),
                   !reserve.allowsPacking(availableBytes: available, bytes: size) {
                    leftForSpace.insert(message.id)
                    continue
                }
                leftForSpace.remove(message.id)
                let name = Self.entryName(for: message)
                let added = Result { () throws(ArchiveError) -> Manifest.Entry in
                    try writer.addContent(
                        file: file, name: name, originalName: message.fileName, messageId: message.id,
                        contentType: message.contentType, expectedSize: message.contentSize.map(UInt64.init),
                        expectedSHA256: message.contentSHA256, mtime: message.sentAt.milliseconds / 1000)
                }
                switch added {
                case .success(let entry):
                    contentBytes += entry.size
                    contentEntries += 1
                case .failure(.stagedFileMismatch(_, let detail)):
                    try stores.contentQueue.discardDownload(id: message.id, at: now, reason: detail)
                    report.discarded.append(message.id)
                    continue
                case .failure(let error):
                    throw error
                }
                record.contentEntry = name
                staged.append((message.id, file))
            }
            // The record shows the message as this pack leaves it: archived, in a new version.
            if message.state == .downloaded || message.state == .received {
                record.message.state = .archived
                record.message.updatedAt = max(now, message.updatedAt)
            }
            try writer.addRecord(messageId: message.id, json: RecordCodec.encode(record))
            let updatedAtMs = record.message.updatedAt.milliseconds
            states.append(PackedState(messageId: message.id, state: record.message.state, updatedAtMs: updatedAtMs))
            versions[message.id] = updatedAtMs
            if writer.counts.bytes >= settings.segmentMaxBytes { break }
        }
        guard !states.isEmpty else {
            writer.abort()
            return
        }
        let audit = try addAuditCopy(to: writer, now: now, report: &report)
        let (manifest, records, fileSHA, bytes) = try writer.finish()
        try afterStep(.written)
        try Durable.publish(temporary: writer.temporaryPath, final: settings.archiveDir + "/" + relative)
        try afterStep(.published)
        try stores.archiveIndex.indexSegment(Self.segmentRow(manifest, fileSHA256: fileSHA, bytes: bytes),
                                items: Self.items(manifest, records: records, versions: versions), states: states,
                                auditPacked: audit.map { AuditPackMark(seq: $0.mark.seq, hash: $0.mark.hash, end: $0.mark.end) }, at: now)
        try afterStep(.indexed)
        for item in staged {
            unlink(item.file)
            try stores.archiveIndex.forgetStagedFile(id: item.id)
        }
        try afterStep(.cleaned)
        report.segments.append(relative)
        report.records += states.count
        report.contentEntries += contentEntries
        report.contentBytes += contentBytes
        report.segmentBytes += bytes
        report.auditEntries += audit?.entries ?? 0
    }

    /// Copies the audit log's entries appended since the last copy into the segment, as
    /// `audit/audit-F-L.jsonl`, byte for byte: a copy of the log leaves the machine with the
    /// archives. Only a segment with messages carries them. A log that cannot be read does not
    /// hold up the messages: its entries wait for the next pack, and the report says why.
    private func addAuditCopy(to writer: SegmentWriter, now: Instant, report: inout PackReport) throws -> AuditLog.Span? {
        let log = AuditLog(dataDir: settings.dataDir)
        let mark = try stores.archiveIndex.auditPackedThrough().map { AuditLog.Mark(seq: $0.seq, hash: $0.hash, end: $0.end) }
        let span: AuditLog.Span
        do {
            guard let found = try log.unpacked(after: mark) else { return nil }
            span = found
        } catch {
            report.auditProblem = "\(error)"
            return nil
        }
        do {
            try writer.addContent(name: span.entryName, originalName: nil, messageId: nil, contentType: AuditCopies.contentType,
                                  size: span.length, stored: false, expectedSHA256: nil,
                                  mtime: now.milliseconds / 1000) { (sink) throws(ArchiveError) in
                do { try log.copy(span) { try sink($0) } } catch let error as ArchiveError { throw error } catch {
                    throw .io(path: log.path, reason: "\(error)")
                }
            }
        } catch {
            // The writer kept the tar whole and left the entry out; the messages still go.
            report.auditProblem = "\(error)"
            return nil
        }
        return span
    }

    /// `YYYY/MM/DD/talkvault-YYYY-MM-DD-NNNN.tar.gz`, dated in the configured zone, numbered
    /// after the day's segments already on disk.
    func nextSegmentPath(now: Instant) throws -> (relative: String, directory: String) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = settings.timeZone
        let parts = calendar.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: Double(now.milliseconds) / 1000))
        let day = String(format: "%04d/%02d/%02d", parts.year!, parts.month!, parts.day!)
        let stamp = day.replacingOccurrences(of: "/", with: "-")
        let directory = settings.archiveDir + "/" + day
        try Durable.makeDirectories(directory)
        let existing = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let prefix = "talkvault-\(stamp)-"
        let highest = existing.compactMap { name -> Int? in
            guard name.hasPrefix(prefix), name.hasSuffix(".tar.gz") else { return nil }
            // A rewritten segment (`-0001.r2.tar.gz`) keeps its number.
            return Int(name.dropFirst(prefix.count).dropLast(".tar.gz".count).prefix { $0 != "." })
        }.max() ?? 0
        return ("\(day)/\(prefix)\(String(format: "%04d", highest + 1)).tar.gz", directory)
    }

    /// `content/<id>/<safe original name>`, or `content/<id>/<kind>.<ext>` without a usable name.
    static func entryName(for message: ArchiveRecord.Message) -> String {
        let safeId = SafeName.make(message.id) ?? "message"
        if let name = message.fileName.flatMap(SafeName.make) { return "content/\(safeId)/\(name)" }
        return "content/\(safeId)/\(message.kind.rawValue).\(ContentTypes.fileExtension(message.contentType, kind: message.kind))"
    }

    static func segmentRow(_ manifest: Manifest, fileSHA256: String, bytes: UInt64) -> SegmentRow {
        SegmentRow(seq: manifest.sequence, path: manifest.segment, createdAtMs: manifest.createdAtMs, bytes: Int64(bytes),
                   fileSHA256: fileSHA256, contentSHA256: manifest.contentSHA256, previousSHA256: manifest.previous?.sha256,
                   entries: manifest.entries.count, records: manifest.recordCount)
    }

    /// Item locations from a manifest and its records; `versions` are the records' message versions.
    static func items(_ manifest: Manifest, records: [Manifest.Record], versions: [String: Int64]) -> [ArchivedItem] {
        var items: [ArchivedItem] = []
        for entry in manifest.entries {
            guard let id = entry.messageId else { continue }
            let location = manifest.location(of: entry)
            items.append(ArchivedItem(messageId: id, part: .content, segmentSeq: manifest.sequence, entryName: entry.name,
                                      memberOffset: Int64(location.memberOffset), memberLength: Int64(location.memberLength),
                                      offsetInMember: Int64(location.offsetInMember), length: Int64(location.length),
                                      sha256: location.sha256, versionMs: versions[id] ?? 0))
        }
        for record in records {
            let location = manifest.location(of: record)
            items.append(ArchivedItem(messageId: record.messageId, part: .record, segmentSeq: manifest.sequence, entryName: nil,
                                      memberOffset: Int64(location.memberOffset), memberLength: Int64(location.memberLength),
                                      offsetInMember: Int64(location.offsetInMember), length: Int64(location.length),
                                      sha256: location.sha256, versionMs: versions[record.messageId] ?? 0))
        }
        return items
    }
}

/// File extensions for content without a name of its own.
public enum ContentTypes {
    public static func fileExtension(_ contentType: String?, kind: MessageKind) -> String {
        switch contentType?.split(separator: ";").first.map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) {
        case "image/jpeg": return "jpg"
        case "image/png": return "png"
        case "image/gif": return "gif"
        case "video/mp4": return "mp4"
        case "audio/mp4", "audio/m4a", "audio/x-m4a": return "m4a"
        case "application/pdf": return "pdf"
        case "text/plain": return "txt"
        default:
            switch kind {
            case .image: return "jpg"
            case .video: return "mp4"
            case .audio: return "m4a"
            default: return "bin"
            }
        }
    }
}
