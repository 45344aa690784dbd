import Archive
import Crypto
import Foundation
import Gzip
import Ledger

/// What `verify` found. Each problem names the segment (and message) it concerns.
public struct VerifyReport: Sendable, Equatable {
    public var segments = 0
    public var bytes: UInt64 = 0
    public var membersInflated = 0
    public var entriesChecked = 0
    public var recordsChecked = 0
    public var ledgerItemsChecked = 0
    public var problems: [String] = []
    public var ok: Bool { problems.isEmpty }

    public init() {}
}

/// Checks the archives: every segment against its manifest, the hash chain end to end, and
/// the ledger against both. By default it samples members to inflate; `deep` inflates all.
public struct Verifier {
    let archiveDir: String
    let ledger: Ledger?
    let deep: Bool
    /// Members inflated per segment when not deep, besides the first and last.
    let sampleMembers: Int

    public init(archiveDir: String, ledger: Ledger?, deep: Bool, sampleMembers: Int = 4) {
        self.archiveDir = archiveDir
        self.ledger = ledger
        self.deep = deep
        self.sampleMembers = sampleMembers
    }

    public func run() throws(LedgerError) -> VerifyReport {
        var report = VerifyReport()
        // Deep runs: each segment's scanned record locations, for the ledger check.
        var recordKeys: [Int: Set<String>] = [:]
        var manifests: [Manifest] = []
        var fileHashes: [String: String] = [:]
        for path in SegmentReader.segmentFiles(archiveDir: archiveDir) {
            report.segments += 1
            guard let manifest = checkSegment(path, report: &report, fileHashes: &fileHashes, recordKeys: &recordKeys) else { continue }
            manifests.append(manifest)
        }
        checkChain(manifests, fileHashes: fileHashes, report: &report)
        if let ledger { try checkLedger(ledger, manifests: manifests, fileHashes: fileHashes, recordKeys: recordKeys, report: &report) }
        return report
    }

    private func checkSegment(_ path: String, report: inout VerifyReport, fileHashes: inout [String: String],
                              recordKeys: inout [Int: Set<String>]) -> Manifest? {
        let manifest: Manifest
        do {
            manifest = try SegmentReader.manifest(segment: path, archiveDir: archiveDir)
        } catch {
            report.problems.append("\(error)")
            return nil
        }
        if manifest.segment != path {
            report.problems.append("\(path): its manifest names it \(manifest.segment): renamed or moved")
        }
        var cursor: UInt64 = 0
        for (index, member) in manifest.members.enumerated() {
            if member.offset != cursor { report.problems.append("\(path): member \(index) is at offset \(member.offset), expected \(cursor)") }
            cursor = member.offset + member.length
        }
        do {
            let hashes = try Self.hashes(archiveDir + "/" + path, prefix: cursor)
            fileHashes[path] = hashes.file
            report.bytes += hashes.bytes
            if hashes.prefix != manifest.contentSHA256 {
                report.problems.append("\(path): content does not match the manifest's hash (the segment was modified)")
            }
        } catch {
            report.problems.append("\(error)")
            return manifest
        }
        let indices = deep ? Array(manifest.members.indices) : sample(manifest, path: path)
        for index in indices { checkMember(index, of: manifest, report: &report) }
        if deep { recordKeys[manifest.sequence] = checkRecords(of: manifest, report: &report) }
        return manifest
    }

    /// The first and last members and a few others, picked from the path so reruns agree.
    private func sample(_ manifest: Manifest, path: String) -> [Int] {
        let count = manifest.members.count
        guard count > 0 else { return [] }
        var picked: Set<Int> = [0, count - 1]
        var seed = SHA256.hash(data: Data(path.utf8)).prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        for _ in 0..<min(sampleMembers, count) {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            picked.insert(Int(seed >> 33) % count)
        }
        return picked.sorted()
    }

    private func checkMember(_ index: Int, of manifest: Manifest, report: inout VerifyReport) {
        let entries = manifest.entries.filter { $0.member == index && $0.memberCount == 1 }
        report.membersInflated += 1
        do {
            // An entry over several members (a large file) is checked from its first member.
            for entry in manifest.entries where entry.member == index && entry.memberCount > 1 && entry != manifest.recordsEntry {
                try checkEntry(entry, of: manifest, report: &report)
            }
            if manifest.members[index].uncompressedLength <= 16 << 20 {
                let bytes = try SegmentReader.memberBytes(manifest, index: index, archiveDir: archiveDir)
                for entry in entries {
                    let end = Int(entry.dataOffset + entry.size)
                    guard end <= bytes.count else { throw ArchiveError.damaged(segment: manifest.segment, detail: "\(entry.name) lies outside its member") }
                    let data = bytes[Int(entry.dataOffset)..<end]
                    if SegmentWriter.hexDigest(SHA256.hash(data: data)) != entry.sha256 || CRC32.checksum(Array(data)) != entry.crc32 {
                        throw ArchiveError.checksumMismatch(segment: manifest.segment, entry: entry.name)
                    }
                    report.entriesChecked += 1
                }
            } else {
                for entry in entries { try checkEntry(entry, of: manifest, report: &report) }
            }
        } catch {
            report.problems.append("\(error)")
        }
    }

    /// Streams an entry of any size, checking its SHA-256 and CRC-32.
    private func checkEntry(_ entry: Manifest.Entry, of manifest: Manifest, report: inout VerifyReport) throws {
        var crc = CRC32()
        try SegmentReader.read(manifest.location(of: entry), archiveDir: archiveDir) { crc.update($0) }
        guard crc.value == entry.crc32 else { throw ArchiveError.checksumMismatch(segment: manifest.segment, entry: entry.name) }
        report.entriesChecked += 1
    }

    /// Deep only: the whole of `messages.jsonl` against its hashes, and its records counted.
    /// Returns the records' locations, for the ledger check.
    private func checkRecords(of manifest: Manifest, report: inout VerifyReport) -> Set<String> {
        var keys = Set<String>()
        guard let entry = manifest.recordsEntry else { return keys }
        do {
            try checkEntry(entry, of: manifest, report: &report)
            var count = 0
            try SegmentReader.records(manifest, archiveDir: archiveDir) { record, _ in
                count += 1
                var location = manifest.location(of: record)
                location.segment = ""
                keys.insert(Self.key(location))
            }
            report.recordsChecked += count
            if count != manifest.recordCount {
                report.problems.append("\(manifest.segment): messages.jsonl holds \(count) records, the manifest says \(manifest.recordCount)")
            }
        } catch {
            report.problems.append("\(error)")
        }
        return keys
    }

    private func checkChain(_ manifests: [Manifest], fileHashes: [String: String], report: inout VerifyReport) {
        let bySequence = Dictionary(grouping: manifests, by: \.sequence)
        for (sequence, claimants) in bySequence where claimants.count > 1 {
            report.problems.append("segments \(claimants.map(\.segment).sorted().joined(separator: " and ")) both claim chain position \(sequence)")
        }
        guard let highest = bySequence.keys.max() else { return }
        for sequence in 1...highest {
            guard let current = bySequence[sequence]?.first else {
                let named = bySequence[sequence + 1]?.first?.previous?.segment
                report.problems.append("chain gap: segment \(sequence) is missing" + (named.map { " (\($0), named by the next segment)" } ?? ""))
                continue
            }
            if sequence == 1 {
                if current.previous != nil { report.problems.append("\(current.segment): first in the chain but links to \(current.previous!.segment)") }
                continue
            }
            guard let before = bySequence[sequence - 1]?.first else { continue }
            guard let link = current.previous else {
                report.problems.append("\(current.segment): has no link to the previous segment \(before.segment)")
                continue
            }
            if link.segment != before.segment {
                report.problems.append("chain broken: \(current.segment) follows \(link.segment), but position \(sequence - 1) holds \(before.segment) (reordered or renamed)")
            } else if let actual = fileHashes[before.segment], actual != link.sha256 {
                report.problems.append("chain broken: \(before.segment) is not the file \(current.segment) links to (it was modified or replaced)")
            }
        }
    }

    private func checkLedger(_ ledger: Ledger, manifests: [Manifest], fileHashes: [String: String], recordKeys: [Int: Set<String>],
                             report: inout VerifyReport) throws(LedgerError) {
        let indexed = try ledger.allSegments()
        let onDisk = Set(fileHashes.keys)
        for row in indexed {
            guard let actual = fileHashes[row.path] else {
                if !manifests.contains(where: { $0.segment == row.path }) {
                    report.problems.append("\(row.path): indexed as segment \(row.seq) but missing from the archive dir")
                }
                continue
            }
            if actual != row.fileSHA256 { report.problems.append("\(row.path): differs from the hash the ledger indexed (modified after packing)") }
        }
        let indexedPaths = Set(indexed.map(\.path))
        for path in onDisk.subtracting(indexedPaths).sorted() {
            report.problems.append("\(path): not in the ledger's index (run `talkvault pack` to index it, or `talkvault reindex`)")
        }
        // Content entries by exact location; records by exact location after a deep scan, else
        // by the member they must lie in.
        var locations: [Int: Set<String>] = [:]
        var recordMembers: [Int: [UInt64: Manifest.Member]] = [:]
        for manifest in manifests {
            var set = Set<String>()
            for entry in manifest.entries where entry.messageId != nil {
                var location = manifest.location(of: entry)
                location.segment = ""
                set.insert(Self.key(location))
            }
            locations[manifest.sequence] = set.union(recordKeys[manifest.sequence] ?? [])
            if let entry = manifest.recordsEntry {
                recordMembers[manifest.sequence] = Dictionary(uniqueKeysWithValues: manifest.members[entry.member..<(entry.member + entry.memberCount)].map { ($0.offset, $0) })
            }
        }
        var problems: [String] = []
        var checked = 0
        try ledger.archivedItems { item in
            checked += 1
            let location = ItemLocation(segment: "", memberOffset: UInt64(item.memberOffset), memberLength: UInt64(item.memberLength),
                                        offsetInMember: UInt64(item.offsetInMember), length: UInt64(item.length), sha256: item.sha256)
            guard let set = locations[item.segmentSeq] else {
                if problems.count < 100 { problems.append("message \(item.messageId): its \(item.part.rawValue) is indexed in segment \(item.segmentSeq), which is missing or unreadable") }
                return
            }
            let found: Bool
            if item.part == .record && !deep {
                let member = recordMembers[item.segmentSeq]?[UInt64(item.memberOffset)]
                found = member.map { $0.length == UInt64(item.memberLength) && UInt64(item.offsetInMember + item.length) <= $0.uncompressedLength } ?? false
            } else {
                found = set.contains(Self.key(location))
            }
            if !found, problems.count < 100 {
                problems.append("message \(item.messageId): its \(item.part.rawValue) location is not in segment \(item.segmentSeq)'s manifest")
            }
        }
        report.ledgerItemsChecked = checked
        report.problems += problems
        for id in try ledger.archivedWithoutItems().prefix(100) {
            report.problems.append("message \(id): archived in the ledger but has no archive location")
        }
    }

    static func key(_ location: ItemLocation) -> String {
        "\(location.memberOffset):\(location.memberLength):\(location.offsetInMember):\(location.length):\(location.sha256)"
    }

    /// SHA-256 of the whole file and of its first `prefix` bytes, in one read.
    static func hashes(_ path: String, prefix: UInt64) throws(ArchiveError) -> (file: String, prefix: String, bytes: UInt64) {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw .io(path: path, reason: "cannot open") }
        defer { try? handle.close() }
        var whole = SHA256(), head = SHA256()
        var total: UInt64 = 0
        while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            whole.update(data: chunk)
            if total < prefix {
                let take = Int(min(UInt64(chunk.count), prefix - total))
                head.update(data: chunk.prefix(take))
            }
            total += UInt64(chunk.count)
        }
        return (SegmentWriter.hexDigest(whole.finalize()), SegmentWriter.hexDigest(head.finalize()), total)
    }
}
