import Crypto
import DurableFile
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Gzip

/// Reads segments: the manifest through the trailer, and single items by offset, inflating only
/// the member that holds them and checking their SHA-256.
public enum SegmentReader {
    /// Streams the item at `location` to `sink`, then checks its SHA-256 and its member's CRC.
    /// The bytes reach `sink` before the check ends, so a caller writes them somewhere
    /// provisional and keeps them only when this returns without throwing.
    public static func read(_ location: ItemLocation, archiveDir: String,
                            sink: (UnsafeRawBufferPointer) throws -> Void) throws(ArchiveError) {
        var hash = SHA256()
        var position: UInt64 = 0
        let start = location.offsetInMember, end = location.offsetInMember + location.length
        var sinkError: (any Error)?
        var inflated: Result<Void, ArchiveError> = .success(())
        withoutActuallyEscaping(sink) { sink in
            do throws(ArchiveError) {
                try inflateMember(path: archiveDir + "/" + location.segment, segment: location.segment,
                                  offset: location.memberOffset, length: location.memberLength) { chunk in
                    let chunkStart = position, chunkEnd = position + UInt64(chunk.count)
                    position = chunkEnd
                    guard sinkError == nil, chunkEnd > start, chunkStart < end else { return }
                    let from = Int(max(start, chunkStart) - chunkStart), to = Int(min(end, chunkEnd) - chunkStart)
                    let slice = UnsafeRawBufferPointer(rebasing: chunk[from..<to])
                    hash.update(bufferPointer: slice)
                    do { try sink(slice) } catch { sinkError = error }
                }
            } catch {
                inflated = .failure(error)
            }
        }
        try inflated.get()
        if let sinkError { throw .io(path: location.segment, reason: "could not write the item out (\(sinkError))") }
        guard position >= end else { throw .damaged(segment: location.segment, detail: "member shorter than its item") }
        guard SegmentWriter.hex(hash.finalize()) == location.sha256 else {
            throw .checksumMismatch(segment: location.segment, entry: "item at \(location.memberOffset)+\(location.offsetInMember)")
        }
    }

    /// The item's bytes, checked; for small items such as message records.
    public static func bytes(_ location: ItemLocation, archiveDir: String) throws(ArchiveError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(Int(location.length))
        try read(location, archiveDir: archiveDir) { out.append(contentsOf: $0) }
        return out
    }

    /// The manifest of the segment at `archiveDir/segment`, found through the trailer.
    public static func manifest(segment: String, archiveDir: String) throws(ArchiveError) -> Manifest {
        let path = archiveDir + "/" + segment
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw .io(path: segment, reason: "cannot open (\(Errno.text()))")
        }
        defer { try? handle.close() }
        let size: UInt64
        do { size = try handle.seekToEnd() } catch { throw .io(path: segment, reason: "cannot seek") }
        guard size >= UInt64(Trailer.size) else { throw .damaged(segment: segment, detail: "too short for a segment") }
        let tail = (try? handle.seek(toOffset: size - UInt64(Trailer.size))).flatMap { try? handle.read(upToCount: Trailer.size) }
        guard let tail, let pointer = Trailer.parse(Array(tail)) else {
            throw .damaged(segment: segment, detail: "end-of-archive trailer missing or altered")
        }
        guard pointer.offset + pointer.length + UInt64(Trailer.size) == size else {
            throw .damaged(segment: segment, detail: "trailer points outside the manifest's place")
        }
        var tar: [UInt8] = []
        try inflateMember(path: path, segment: segment, offset: pointer.offset, length: pointer.length) { tar.append(contentsOf: $0) }
        guard let header = Tar.parseHeader(tar[...]), header.path == "MANIFEST.json",
              header.headerBytes + Int(header.size) <= tar.count else {
            throw .damaged(segment: segment, detail: "the manifest entry is not a valid tar entry")
        }
        let json = Array(tar[header.headerBytes..<(header.headerBytes + Int(header.size))])
        let manifest: Manifest
        do { manifest = try Manifest.decode(json) } catch { throw .damaged(segment: segment, detail: "manifest is not valid JSON") }
        guard manifest.format == Manifest.formatName else {
            throw .damaged(segment: segment, detail: "unknown format \(manifest.format)")
        }
        return manifest
    }

    /// Inflates the gzip members filling `length` bytes at `offset` into `sink`. Fails unless the
    /// range holds whole members whose CRC-32 and lengths check out.
    static func inflateMember(path: String, segment: String, offset: UInt64, length: UInt64,
                              sink: @escaping (UnsafeRawBufferPointer) throws -> Void) throws(ArchiveError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .io(path: segment, reason: "cannot open (\(Errno.text()))") }
        defer { close(fd) }
        do {
            let reader = try GzipReader(bufferSize: 256 * 1024, sink: sink)
            var buffer = [UInt8](repeating: 0, count: Int(min(length, 1 << 20)))
            var done: UInt64 = 0
            while done < length {
                let want = Int(min(UInt64(buffer.count), length - done))
                let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, want, off_t(offset + done)) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw ArchiveError.damaged(segment: segment, detail: "file ends inside the member at \(offset)") }
                try buffer.withUnsafeBytes { try reader.feed(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
                done += UInt64(n)
            }
            try reader.finish()
            guard reader.membersRead >= 1 else {
                throw ArchiveError.damaged(segment: segment, detail: "no gzip member at \(offset)")
            }
        } catch let error as ArchiveError {
            throw error
        } catch let error as GzipError {
            throw .damaged(segment: segment, detail: "member at \(offset): \(error)")
        } catch {
            throw .io(path: segment, reason: "\(error)")
        }
    }
}

extension SegmentReader {
    /// The inflated bytes of member `index`; for members of bounded size (records, grouped
    /// entries), never a whole large content entry.
    public static func memberBytes(_ manifest: Manifest, index: Int, archiveDir: String) throws(ArchiveError) -> [UInt8] {
        let member = manifest.members[index]
        var out: [UInt8] = []
        out.reserveCapacity(Int(member.uncompressedLength))
        try inflateMember(path: archiveDir + "/" + manifest.segment, segment: manifest.segment, offset: member.offset,
                          length: member.length) { out.append(contentsOf: $0) }
        guard UInt64(out.count) == member.uncompressedLength else {
            throw .damaged(segment: manifest.segment, detail: "member \(index) inflates to \(out.count) bytes, manifest says \(member.uncompressedLength)")
        }
        return out
    }

    /// Every record of the segment with its bytes and location, found by scanning the members of
    /// `messages.jsonl` (each holds whole lines), inflating each member once. `messageId` is
    /// left empty: the archive does not read records; its callers do.
    /// - Parameter hashing: false leaves each `Record.sha256` empty, for a scan that needs only
    ///   the lines (a purge's).
    public static func records(_ manifest: Manifest, archiveDir: String, hashing: Bool = true,
                               _ body: (Manifest.Record, [UInt8]) throws -> Void) throws {
        guard let entry = manifest.recordsEntry else { return }
        var remaining = entry.size
        for index in entry.member..<(entry.member + entry.memberCount) {
            let bytes = try memberBytes(manifest, index: index, archiveDir: archiveDir)
            var cursor = index == entry.member ? Int(entry.dataOffset) : 0
            while remaining > 0, cursor < bytes.count {
                guard let newline = bytes[cursor...].firstIndex(of: UInt8(ascii: "\n")) else { break }
                let line = Array(bytes[cursor..<newline])
                try body(Manifest.Record(messageId: "", member: index, offset: UInt64(cursor), length: UInt64(line.count),
                                         sha256: hashing ? SegmentWriter.hex(SHA256.hash(data: line)) : ""), line)
                remaining -= UInt64(line.count + 1)
                cursor = newline + 1
            }
        }
        guard remaining == 0 else {
            throw ArchiveError.damaged(segment: manifest.segment, detail: "messages.jsonl does not end where its size says")
        }
    }

    /// Segment files under `archiveDir` (paths relative to it), found by walking the tree.
    public static func segmentFiles(archiveDir: String) -> [String] {
        // The archive dir itself may be a symlink (reindex makes one); the walk must enter it.
        let archiveDir = (archiveDir as NSString).resolvingSymlinksInPath
        guard let walker = FileManager.default.enumerator(atPath: archiveDir) else { return [] }
        var found: [String] = []
        while let path = walker.nextObject() as? String {
            let name = (path as NSString).lastPathComponent
            if name.hasPrefix("talkvault-") && name.hasSuffix(".tar.gz") { found.append(path) }
        }
        return found.sorted()
    }

    /// Leftover temporary files under `archiveDir`, from a pack that stopped before publishing.
    public static func temporaryFiles(archiveDir: String) -> [String] {
        let archiveDir = (archiveDir as NSString).resolvingSymlinksInPath
        guard let walker = FileManager.default.enumerator(atPath: archiveDir) else { return [] }
        var found: [String] = []
        while let path = walker.nextObject() as? String {
            let name = (path as NSString).lastPathComponent
            if name.hasPrefix(".talkvault-") && name.contains(".tmp-") { found.append(path) }
        }
        return found.sorted()
    }

    /// SHA-256 of a whole file, streamed.
    public static func fileSHA256(_ path: String) throws(ArchiveError) -> (sha256: String, bytes: UInt64) {
        do { return try FileDigest.sha256(ofFile: path) } catch { throw ArchiveError(error) }
    }
}
