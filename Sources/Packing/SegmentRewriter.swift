import Archive
import ArchiveRecord
import DurableFile
import Foundation
import Store
import TalkVaultDomain

/// The steps of a segment rewrite, so tests can stop one between any two of them.
public enum RewriteStep: Sendable, CaseIterable {
    case written, published, indexed, removedOld
}

/// What one rewrite did.
public struct RewriteOutcome: Sendable, Equatable {
    public var oldPath: String
    public var newPath: String
    public var oldBytes: UInt64
    public var newBytes: UInt64
    public var removed: [Manifest.Removed]
}

public enum RewriteError: Error, Equatable, CustomStringConvertible {
    /// The disk cannot hold the new segment beside the old one.
    case noSpace(segment: String, needed: Int64, available: Int64)
    /// The file is not the one the ledger indexed: a rewrite would hide that, so it is left for `verify`.
    case modified(segment: String)

    public var description: String {
        switch self {
        case .noSpace(let segment, let needed, let available):
            return "\(segment): not enough free space to rewrite it (needs \(needed) bytes beside it, \(available) free); nothing was changed"
        case .modified(let segment):
            return "\(segment): differs from the hash the ledger indexed, so it is not rewritten (that would hide the change); run `talkvault verify`"
        }
    }
}

/// Rewrites a segment without some messages' records and content, the way restic's `prune`
/// does: the new file (`…-NNNN.rK.tar.gz`, the same chain position) is written beside the old,
/// fsynced, published and indexed before the old one is removed. Its manifest records the
/// rewrite: the file it replaced (the next segment's link still names that file's hash) and
/// what left under which rule. A crash anywhere leaves the old file indexed, or the new one
/// with the old recorded as replaced; `Recovery` removes whichever is left over.
public struct SegmentRewriter {
    let index: any ArchiveIndex
    let archiveDir: String
    let settings: SegmentWriter.Settings
    let disk: any DiskSpace
    /// Called after each step; a test can throw from it to simulate a crash there.
    public var afterStep: (RewriteStep) throws -> Void = { _ in }

    public init(index: any ArchiveIndex, archiveDir: String, settings: SegmentWriter.Settings, disk: any DiskSpace = SystemDiskSpace()) {
        self.index = index
        self.archiveDir = archiveDir
        self.settings = settings
        self.disk = disk
    }

    /// The messages among `ids` whose record (any version) or content `manifest`'s segment holds.
    public static func holdings(_ manifest: Manifest, of ids: Set<String>, archiveDir: String) throws -> Set<String> {
        var found = Set(manifest.entries.compactMap(\.messageId).filter(ids.contains))
        try SegmentReader.records(manifest, archiveDir: archiveDir, hashing: false) { scanned, bytes in
            let id = try Self.messageId(bytes, manifest: manifest, scanned: scanned)
            if ids.contains(id) { found.insert(id) }
        }
        return found
    }

    /// Rewrites `row`'s segment, whose manifest is `manifest`, without the items of the
    /// messages in `rules` (message id to the rule that removes it). Returns nil when the
    /// segment holds none of them.
    public func rewrite(_ row: SegmentRow, manifest: Manifest, dropping rules: [String: String], now: Instant) throws -> RewriteOutcome? {
        let owners = manifest.memberOwners
        let relative = Self.rewrittenPath(row.path, generation: (manifest.rewrites?.count ?? 0) + 1)
        let directory = archiveDir + "/" + (row.path as NSString).deletingLastPathComponent
        if let available = disk.availableBytes(at: directory), available < row.bytes {
            throw RewriteError.noSpace(segment: row.path, needed: row.bytes, available: available)
        }
        // Only the file the chain knows is rewritten: the new one's hash would otherwise vouch
        // for a change. The old file is hashed on another core while the new one is written,
        // and nothing is published before the two hashes agree.
        let oldHash = BackgroundHash(path: archiveDir + "/" + row.path)
        let writer = try SegmentWriter(directory: directory, relativePath: relative, sequence: manifest.sequence,
                                       createdAtMs: manifest.createdAtMs, previous: manifest.previous, settings: settings)
        var removed: [Manifest.Removed] = []
        do {
            for entry in manifest.entries {
                if let id = entry.messageId, let rule = rules[id] {
                    // "content", not the entry's name: a file's name is the sender's, and goes with it.
                    removed.append(Manifest.Removed(messageId: id, item: "content", rule: rule))
                    continue
                }
                // Content entries go across, and so do the copies of the audit log: nothing
                // purges the audit trail. `messages.jsonl` is written anew from its records.
                guard entry.messageId != nil || AuditCopies.holds(entry) else { continue }
                // An entry alone in its members goes across as compressed bytes; one sharing a
                // member with others is streamed out of it and written again.
                if owners[entry.member..<(entry.member + max(1, entry.memberCount))].allSatisfy({ $0 == 1 }) {
                    try writer.copyMembers(of: entry, from: manifest, path: archiveDir + "/" + row.path)
                    continue
                }
                let location = manifest.location(of: entry)
                try writer.addContent(name: entry.name, originalName: entry.originalName, messageId: entry.messageId, contentType: entry.contentType,
                                      size: entry.size, stored: entry.stored, expectedSHA256: entry.sha256,
                                      mtime: manifest.createdAtMs / 1000) { (sink) throws(ArchiveError) in
                    try SegmentReader.read(location, archiveDir: archiveDir) { bytes in try sink(bytes) }
                }
            }
            try SegmentReader.records(manifest, archiveDir: archiveDir, hashing: false) { scanned, bytes in
                let id = try Self.messageId(bytes, manifest: manifest, scanned: scanned)
                if let rule = rules[id] {
                    removed.append(Manifest.Removed(messageId: id, item: "record", rule: rule))
                } else {
                    try writer.addRecord(messageId: id, json: bytes)
                }
            }
        } catch {
            writer.abort()
            throw error
        }
        guard !removed.isEmpty else {
            writer.abort()
            return nil
        }
        writer.rewrites = (manifest.rewrites ?? []) + [Manifest.Rewrite(replaced: Manifest.ChainLink(segment: row.path, sha256: row.fileSHA256),
                                                                         atMs: now.milliseconds, removed: removed)]
        guard oldHash.wait() == row.fileSHA256 else {
            writer.abort()
            throw RewriteError.modified(segment: row.path)
        }
        let (newManifest, records, fileSHA, bytes) = try writer.finish()
        try afterStep(.written)
        try Durable.publish(temporary: writer.temporaryPath, final: archiveDir + "/" + relative)
        try afterStep(.published)
        var removedIds: [String] = []
        for item in removed where !removedIds.contains(item.messageId) { removedIds.append(item.messageId) }
        try index.indexRewrite(Packer.segmentRow(newManifest, fileSHA256: fileSHA, bytes: bytes),
                               kept: Packer.items(newManifest, records: records, versions: [:]),
                               rewrite: SegmentRewriteRow(seq: row.seq, atMs: now.milliseconds, oldPath: row.path, oldSHA256: row.fileSHA256,
                                                          newPath: relative, newSHA256: fileSHA, removedMessages: removedIds))
        try afterStep(.indexed)
        unlink(archiveDir + "/" + row.path)
        try Durable.syncDirectory(directory)
        try afterStep(.removedOld)
        return RewriteOutcome(oldPath: row.path, newPath: relative, oldBytes: UInt64(row.bytes), newBytes: bytes, removed: removed)
    }

    /// `…-NNNN.tar.gz` or `…-NNNN.rJ.tar.gz` becomes `…-NNNN.rK.tar.gz`.
    static func rewrittenPath(_ path: String, generation: Int) -> String {
        var stem = String(path.dropLast(".tar.gz".count))
        if let dot = stem.lastIndex(of: "."), stem[stem.index(after: dot)...].first == "r",
           Int(stem[stem.index(dot, offsetBy: 2)...]) != nil {
            stem = String(stem[..<dot])
        }
        return "\(stem).r\(generation).tar.gz"
    }

    /// The record's message id, read without decoding it where its shape allows.
    static func messageId(_ bytes: [UInt8], manifest: Manifest, scanned: Manifest.Record) throws -> String {
        if let id = RecordCodec.messageId(in: bytes) { return id }
        do throws(RecordError) { return try RecordCodec.decode(bytes).message.id } catch {
            throw PackingError.badRecord(segment: manifest.segment, messageId: "at member \(scanned.member) offset \(scanned.offset)", problem: error)
        }
    }
}

/// A file's SHA-256, computed on a queue of its own; `wait` returns it (nil when unreadable).
final class BackgroundHash: @unchecked Sendable {
    private let done = DispatchGroup()
    private var result: String?

    init(path: String) {
        done.enter()
        DispatchQueue.global(qos: .utility).async { [self] in
            result = try? SegmentReader.fileSHA256(path).sha256
            done.leave()
        }
    }

    func wait() -> String? {
        done.wait()
        return result
    }
}
