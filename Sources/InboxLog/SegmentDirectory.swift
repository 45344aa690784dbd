import Foundation
import Gzip
import DurableFile

/// The inbox log's directory: `<ledger>-inbox/`, holding numbered segment files
/// (`0000000000000007.seg`), the writer's `lock`, and briefly a `.tmp` segment being zero-filled.
public struct SegmentDirectory: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    /// The log beside the ledger at `ledgerPath`.
    public init(ledgerPath: String) { self.init(path: ledgerPath + "-inbox") }

    func file(_ segment: UInt64) -> String { path + "/" + Self.fileName(segment) }

    /// `0000000000000007.seg`.
    static func fileName(_ segment: UInt64) -> String {
        let hex = String(segment, radix: 16)
        return String(repeating: "0", count: max(0, 16 - hex.count)) + hex + ".seg"
    }

    var lockPath: String { path + "/lock" }
    var headPath: String { path + "/head" }

    /// True while a writer (a running `serve`) holds the log's lock: its newest segment is
    /// still being written. The probe's shared lock lasts microseconds; a writer starting just
    /// then retries (see `InboxLogWriter`).
    func writerHoldsLock() -> Bool {
        let fd = open(lockPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { Foundation.close(fd) }
        guard flock(fd, LOCK_SH | LOCK_NB) == 0 else { return errno == EWOULDBLOCK }
        flock(fd, LOCK_UN)
        return false
    }

    /// What the `head` file says: the newest segment a writer made, so a deleted newest
    /// segment is noticed rather than its number taken again; and the first one made by a
    /// writer that marks its appends' ends, from which on a segment without marks is damaged.
    struct Head: Equatable {
        var newest: UInt64
        var firstMarked: UInt64
    }

    static let headMagic: UInt32 = 0x4849_5654  // "TVIH" in file order
    static let headSize = 24

    /// The `head` file's contents; nil when missing or damaged (then nothing is assumed).
    func head() -> Head? {
        let fd = open(headPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { Foundation.close(fd) }
        var raw = [UInt8](repeating: 0, count: Self.headSize)
        guard raw.withUnsafeMutableBytes({ pread(fd, $0.baseAddress, Self.headSize, 0) }) == Self.headSize else { return nil }
        return raw.withUnsafeBytes { bytes -> Head? in
            guard UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt32.self)) == Self.headMagic else { return nil }
            var crc = CRC32()
            crc.update(UnsafeRawBufferPointer(rebasing: bytes[0..<20]))
            guard crc.value == UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 20, as: UInt32.self)) else { return nil }
            return Head(newest: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 4, as: UInt64.self)),
                        firstMarked: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 12, as: UInt64.self)))
        }
    }

    /// Records the head durably: 24 bytes rewritten in place (one sector, so never torn), with
    /// the file's name made durable the first time.
    func writeHead(newest: UInt64, firstMarked: UInt64) throws(InboxLogError) {
        let existed = FileManager.default.fileExists(atPath: headPath)
        let fd = open(headPath, O_WRONLY | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw .failed("opening", path: headPath) }
        defer { Foundation.close(fd) }
        var raw = [UInt8](repeating: 0, count: Self.headSize)
        raw.withUnsafeMutableBytes { bytes in
            bytes.storeBytes(of: Self.headMagic.littleEndian, toByteOffset: 0, as: UInt32.self)
            bytes.storeBytes(of: newest.littleEndian, toByteOffset: 4, as: UInt64.self)
            bytes.storeBytes(of: firstMarked.littleEndian, toByteOffset: 12, as: UInt64.self)
            var crc = CRC32()
            crc.update(UnsafeRawBufferPointer(rebasing: bytes[0..<20]))
            bytes.storeBytes(of: crc.value.littleEndian, toByteOffset: 20, as: UInt32.self)
        }
        guard raw.withUnsafeBytes({ pwrite(fd, $0.baseAddress, Self.headSize, 0) }) == Self.headSize else { throw .failed("writing", path: headPath) }
        guard fdatasync(fd) == 0 else { throw .failed("fdatasync", path: headPath) }
        if !existed { try sync() }
    }

    /// Writes segment `segment`'s start mark into the file at `path` (its first block, the rest
    /// of which is zeros) and fsyncs it, before the file is given the segment's name.
    func stampStartMark(_ path: String, segment: UInt64) throws(InboxLogError) {
        let fd = openDirect(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { throw .failed("opening", path: path) }
        defer { Foundation.close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .failed("stat", path: path) }
        try stampStartMark(fd: fd, path: path, segment: segment, size: Int(info.st_size))
    }

    private func stampStartMark(fd: Int32, path: String, segment: UInt64, size: Int) throws(InboxLogError) {
        let block = AlignedBuffer(capacity: AlignedBuffer.block)
        let bytes = block.padded(trailer: RecordHeader.size) { raw in
            RecordHeader.writeEndMark(into: raw, segment: segment, receivedAtMs: 0, segmentBytes: size / AlignedBuffer.block * AlignedBuffer.block)
        }
        var written = -1
        while written < 0 {
            written = pwrite(fd, bytes.baseAddress, bytes.count, 0)
            if written < 0, !(errno == EINTR || (errno == EINVAL && dropDirect(fd))) { throw .failed("writing the start mark", path: path) }
        }
        guard written == bytes.count else { throw .io(path: path, reason: "short write of the start mark") }
        guard fdatasync(fd) == 0 else { throw .failed("fdatasync", path: path) }
    }

    /// The segment numbers present, ascending; none when the directory does not exist.
    func segments() throws(InboxLogError) -> [UInt64] {
        guard let dir = opendir(path) else {
            if errno == ENOENT { return [] }
            throw .failed("listing", path: path)
        }
        defer { closedir(dir) }
        var found: [UInt64] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard name.count == 20, name.hasSuffix(".seg"), let number = UInt64(name.prefix(16), radix: 16) else { continue }
            found.append(number)
        }
        return found.sorted()
    }

    /// Makes the directory's entries (new names, renames, removals) survive a crash.
    func sync() throws(InboxLogError) {
        do { try Durable.syncDirectory(path) } catch { throw .io(path: path, reason: error.reason) }
    }

    /// Writes `size` zero bytes (a whole number of blocks) to a temporary file, fsyncs it and
    /// renames it to `path`; on any failure the temporary file is removed. The zeros bypass the
    /// page cache where the filesystem allows: through it they cost a copy and a writeback of
    /// every byte, about as much CPU as the records that later overwrite them.
    /// With `startMark`, that segment's start mark is written into the first block before the
    /// rename.
    func createZeroed(size: Int, as path: String, temporary tmp: String, startMark: UInt64? = nil) throws(InboxLogError) {
        var space = statvfs()
        if statvfs(self.path, &space) == 0, Int(space.f_bavail) * Int(space.f_frsize) < size {
            throw .diskFull(path: path)
        }
        let chunk = 1 << 20
        let fd = openDirect(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw .failed("creating", path: tmp) }
        let zeros = AlignedBuffer(capacity: chunk)
        let zero = zeros.extend(by: chunk)
        zero.initializeMemory(as: UInt8.self, repeating: 0)
        var at = 0
        var failure: InboxLogError?
        while at < size && failure == nil {
            let n = pwrite(fd, zero.baseAddress, min(chunk, size - at), off_t(at))
            if n > 0 { at += n } else if n == 0 { failure = .io(path: tmp, reason: "short write") } else if errno != EINTR
                && !(errno == EINVAL && dropDirect(fd)) {
                failure = .failed("zero-filling", path: tmp)
            }
        }
        if failure == nil, let startMark {
            do throws(InboxLogError) { try stampStartMark(fd: fd, path: tmp, segment: startMark, size: size) } catch { failure = error }
        }
        if failure == nil && fsync(fd) != 0 { failure = .failed("fsync", path: tmp) }
        Foundation.close(fd)
        if failure == nil && rename(tmp, path) != 0 { failure = .failed("renaming", path: path) }
        if let failure {
            unlink(tmp)
            throw failure
        }
    }
}
