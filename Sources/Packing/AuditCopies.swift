import Archive
import AuditTrail
import Foundation
import Store

/// The copies of the audit log that packs put into segments (`audit/audit-F-L.jsonl`): found
/// again by recovery and reindex, kept by a purge's rewrite, and read back by
/// `talkvault audit --from-archives`.
public enum AuditCopies {
    public static let contentType = "application/x-ndjson"

    /// True for a segment entry that holds a copy of audit-log lines.
    public static func holds(_ entry: Manifest.Entry) -> Bool {
        entry.messageId == nil && entry.name.hasPrefix("audit/") && entry.name.hasSuffix(".jsonl")
    }

    /// The last audit entry `manifest`'s segment holds a copy of; nil when it holds none.
    static func mark(in manifest: Manifest, archiveDir: String) throws -> AuditPackMark? {
        var last: AuditEntry?
        for entry in manifest.entries where holds(entry) {
            try lines(of: entry, in: manifest, archiveDir: archiveDir) { line in
                if let parsed = AuditEntry.parse(line) { last = parsed }
            }
        }
        return last.map { AuditPackMark(seq: $0.seq, hash: $0.hash, end: nil) }
    }

    /// Each line of the copy `entry`, its bytes checked against the manifest first.
    static func lines(of entry: Manifest.Entry, in manifest: Manifest, archiveDir: String, _ body: (String) throws -> Void) throws {
        let bytes = try SegmentReader.bytes(manifest.location(of: entry), archiveDir: archiveDir)
        for line in bytes.split(separator: 10, omittingEmptySubsequences: false).dropLast(bytes.last == 10 ? 1 : 0) {
            try body(String(decoding: line, as: UTF8.self))
        }
    }

    /// One line of a copy, and where it was read.
    public struct Line: Sendable {
        /// The segment (under the archive dir) and the entry's name.
        public var segment: String
        public var entry: String
        public var text: String
    }

    /// Every line of every copy in the archive dir, in chain order (a segment's copies in the
    /// order packed). A segment or copy that cannot be read is skipped and named in the result.
    public static func read(archiveDir: String, _ body: (Line) throws -> Void) throws -> [String] {
        var problems: [String] = []
        var manifests: [Manifest] = []
        for path in SegmentReader.segmentFiles(archiveDir: archiveDir) {
            do {
                var manifest = try SegmentReader.manifest(segment: path, archiveDir: archiveDir)
                // Read from this file, whatever name its manifest gives it.
                manifest.segment = path
                manifests.append(manifest)
            } catch {
                problems.append("\(error)")
            }
        }
        for manifest in manifests.sorted(by: { ($0.sequence, $0.segment) < ($1.sequence, $1.segment) }) {
            for entry in manifest.entries where holds(entry) {
                var texts: [String] = []
                do {
                    try lines(of: entry, in: manifest, archiveDir: archiveDir) { texts.append($0) }
                } catch {
                    problems.append("\(manifest.segment): \(entry.name): \(error)")
                    continue
                }
                for text in texts { try body(Line(segment: manifest.segment, entry: entry.name, text: text)) }
            }
        }
        return problems
    }
}
