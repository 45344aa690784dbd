import Archive
import Crypto
import Foundation
import Gzip
import Store

/// What `verify` found. Each problem names the segment (and message) it concerns.
public struct VerifyReport: Sendable, Equatable {
    public var segments = 0
    public var bytes: UInt64 = 0
    public var membersInflated = 0
    public var entriesChecked = 0
    public var recordsChecked = 0
    /// Deep runs with a ledger: records compared with their message's ledger row.
    public var recordsCompared = 0
    public var ledgerItemsChecked = 0
    public var problems: [String] = []
    public var ok: Bool { problems.isEmpty }

    public init() {}
}

/// Checks the archives: every segment against its manifest, the hash chain end to end, and
/// the ledger against both. By default it samples members to inflate; `deep` inflates all.
public struct Verifier {
    let archiveDir: String
    let index: (any ArchiveIndex)?
    let deep: Bool
    /// Members inflated per segment when not deep, besides the first and last.
    let sampleMembers: Int

    public init(archiveDir: String, index: (any ArchiveIndex)?, deep: Bool, sampleMembers: Int = 4) {
        self.archiveDir = archiveDir
        self.index = index
        self.deep = deep
        self.sampleMembers = sampleMembers
    }

    /// A segment file and the manifest it holds (which names the file it was written as).
    struct Scanned {
        var path: String
        var manifest: Manifest
    }

    public func run() throws(LedgerError) -> VerifyReport {
        var report = VerifyReport()
        // Deep runs: each segment's scanned record locations, for the ledger check.
        var recordKeys: [Int: Set<String>] = [:]
        var scanned: [Scanned] = []
        // Every segment file's whole-file hash, those whose manifest cannot be read included.
        var fileHashes: [String: String] = [:]
        var unreadable: Set<String> = []
        var comparison = deep ? try index.map { index throws(LedgerError) in try RecordComparison(index: index) } : nil
        for path in SegmentReader.segmentFiles(archiveDir: archiveDir) {
            report.segments += 1
            guard let manifest = try checkSegment(path, report: &report, fileHashes: &fileHashes, recordKeys: &recordKeys,
                                                  comparison: &comparison) else {
                unreadable.insert(path)
                continue
            }
            scanned.append(Scanned(path: path, manifest: manifest))
        }
        let misnamed = checkNames(scanned, fileHashes: fileHashes, report: &report)
        // A byte-identical copy is not a segment of its own: it stays out of the chain.
        let chained = scanned.filter { misnamed[$0.path] != .copy }
        checkChain(chained, fileHashes: fileHashes, unreadable: unreadable, report: &report)
        if let index {
            try checkLedger(index, scanned: chained, fileHashes: fileHashes, excluded: unreadable.union(misnamed.keys),
                            recordKeys: recordKeys, report: &report)
        }
        if let comparison {
            report.recordsCompared = comparison.compared
            report.problems += comparison.problems
        }
        return report
    }

    private func checkSegment(_ path: String, report: inout VerifyReport, fileHashes: inout [String: String],
                              recordKeys: inout [Int: Set<String>], comparison: inout RecordComparison?) throws(LedgerError) -> Manifest? {
        let manifest: Manifest
        do {
            manifest = try SegmentReader.manifest(segment: path, archiveDir: archiveDir)
        } catch {
            report.problems.append("\(error)")
            // The file is there, damaged: its hash still tells the chain and the ledger whether
            // it is the file they know.
            if let (sha, bytes) = try? SegmentReader.fileSHA256(archiveDir + "/" + path) {
                fileHashes[path] = sha
                report.bytes += bytes
            }
            return nil
        }
        // Members and records are read from this file, whatever name its manifest gives it.
        var readable = manifest
        readable.segment = path
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
        for index in indices { checkMember(index, of: readable, report: &report) }
        if deep { recordKeys[manifest.sequence] = try checkRecords(of: readable, sequence: manifest.sequence, report: &report, comparison: &comparison) }
        return manifest
    }

    /// How a file whose manifest names another file came to be.
    enum Misnamed: Equatable {
        /// The same bytes as the file its manifest names: an extra copy.
        case copy
        /// Renamed or moved from the name its manifest gives.
        case renamed
    }

    /// Names each file whose manifest gives it another name by its real fault.
    private func checkNames(_ scanned: [Scanned], fileHashes: [String: String], report: inout VerifyReport) -> [String: Misnamed] {
        var misnamed: [String: Misnamed] = [:]
        for file in scanned where file.manifest.segment != file.path {
            let named = file.manifest.segment
            if let original = fileHashes[named], original == fileHashes[file.path], scanned.contains(where: { $0.path == named }) {
                misnamed[file.path] = .copy
                report.problems.append("\(file.path): a copy of \(named) (the same bytes, which name \(named) at chain position "
                                       + "\(file.manifest.sequence)): not a segment of its own; remove it")
            } else {
                misnamed[file.path] = .renamed
                report.problems.append("\(file.path): its manifest names it \(named): renamed or moved")
            }
        }
        return misnamed
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

    /// Deep only: the whole of `messages.jsonl` against its hashes, its records counted, and
    /// each compared with its ledger row when there is a ledger. Returns the records' locations,
    /// for the ledger check.
    private func checkRecords(of manifest: Manifest, sequence: Int, report: inout VerifyReport,
                              comparison: inout RecordComparison?) throws(LedgerError) -> Set<String> {
        var keys = Set<String>()
        guard let entry = manifest.recordsEntry else { return keys }
        do {
            try checkEntry(entry, of: manifest, report: &report)
            var count = 0
            try SegmentReader.records(manifest, archiveDir: archiveDir) { record, bytes in
                count += 1
                var location = manifest.location(of: record)
                location.segment = ""
                keys.insert(Self.key(location))
                try comparison?.check(bytes, at: location, sequence: sequence, path: manifest.segment)
            }
            report.recordsChecked += count
            if count != manifest.recordCount {
                report.problems.append("\(manifest.segment): messages.jsonl holds \(count) records, the manifest says \(manifest.recordCount)")
            }
        } catch let error as LedgerError {
            throw error
        } catch {
            report.problems.append("\(error)")
        }
        return keys
    }

    private func checkChain(_ scanned: [Scanned], fileHashes: [String: String], unreadable: Set<String>, report: inout VerifyReport) {
        let bySequence = Dictionary(grouping: scanned, by: \.manifest.sequence)
        for (sequence, claimants) in bySequence.sorted(by: { $0.key < $1.key }) where claimants.count > 1 {
            report.problems.append("segments \(claimants.map(\.path).sorted().joined(separator: " and ")) both claim chain position \(sequence)")
        }
        guard let highest = bySequence.keys.max() else { return }
        for sequence in 1...highest {
            guard let current = bySequence[sequence]?.first else {
                let next = bySequence[sequence + 1]?.first
                if let link = next?.manifest.previous, let next, unreadable.contains(link.segment) {
                    // The file is there; its damage is reported above. Its bytes still say
                    // whether it is the file the next segment links to.
                    report.problems.append("chain position \(sequence): \(link.segment) is there but its manifest cannot be read"
                                           + (fileHashes[link.segment] == link.sha256 ? "" : ", and it is not the file \(next.path) links to (modified)"))
                } else {
                    let named = next?.manifest.previous?.segment
                    report.problems.append("chain gap: segment \(sequence) is missing" + (named.map { " (\($0), named by the next segment)" } ?? ""))
                }
                continue
            }
            if sequence == 1 {
                if let link = current.manifest.previous { report.problems.append("\(current.path): first in the chain but links to \(link.segment)") }
                continue
            }
            guard let before = bySequence[sequence - 1]?.first else { continue }
            guard let link = current.manifest.previous else {
                report.problems.append("\(current.path): has no link to the previous segment \(before.path)")
                continue
            }
            if before.manifest.replaced(link) {
                // The link names the file a purge rewrote into this one; the rewrite records it.
                continue
            } else if link.segment != before.manifest.segment {
                report.problems.append("chain broken: \(current.path) follows \(link.segment), but position \(sequence - 1) holds \(before.path) (reordered or renamed)")
            } else if let actual = fileHashes[before.path], actual != link.sha256 {
                report.problems.append("chain broken: \(before.path) is not the file \(current.path) links to (it was modified or replaced)")
            }
        }
    }

    /// `excluded`: files already named with their fault (unreadable, a copy, renamed), which are
    /// not also reported as unindexed.
    private func checkLedger(_ index: any ArchiveIndex, scanned: [Scanned], fileHashes: [String: String], excluded: Set<String>,
                             recordKeys: [Int: Set<String>], report: inout VerifyReport) throws(LedgerError) {
        let indexed = try index.allSegments()
        let onDisk = Set(fileHashes.keys)
        for row in indexed {
            guard let actual = fileHashes[row.path] else {
                if !scanned.contains(where: { $0.manifest.segment == row.path }) {
                    report.problems.append("\(row.path): indexed as segment \(row.seq) but missing from the archive dir")
                }
                continue
            }
            if actual != row.fileSHA256 { report.problems.append("\(row.path): differs from the hash the ledger indexed (modified after packing)") }
        }
        let indexedPaths = Dictionary(indexed.map { ($0.seq, $0.path) }, uniquingKeysWith: { first, _ in first })
        for path in onDisk.subtracting(indexedPaths.values).subtracting(excluded).sorted() {
            report.problems.append("\(path): not in the ledger's index (run `talkvault pack` to index it, or `talkvault reindex`)")
        }
        // Content entries by exact location; records by exact location after a deep scan, else
        // by the member they must lie in.
        var locations: [Int: Set<String>] = [:]
        var recordMembers: [Int: [UInt64: Manifest.Member]] = [:]
        for manifest in scanned.map(\.manifest) {
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
        try index.archivedItems { item in
            checked += 1
            let location = ItemLocation(segment: "", memberOffset: UInt64(item.memberOffset), memberLength: UInt64(item.memberLength),
                                        offsetInMember: UInt64(item.offsetInMember), length: UInt64(item.length), sha256: item.sha256)
            guard let set = locations[item.segmentSeq] else {
                if problems.count < 100 {
                    // Name the file as it is: gone, or there but unreadable (its damage is named above).
                    let path = indexedPaths[item.segmentSeq]
                    let fault = path.map { fileHashes[$0] == nil ? "\($0), which is missing" : "\($0), whose manifest cannot be read" }
                        ?? "\(item.segmentSeq), which the ledger does not index"
                    problems.append("message \(item.messageId): its \(item.part.rawValue) is indexed in segment \(fault)")
                }
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
        for id in try index.archivedWithoutItems().prefix(100) {
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
