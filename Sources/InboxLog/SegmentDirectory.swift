import Foundation
import Gzip

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

    /// The highest segment number a writer has created (the `head` file), so a deleted newest
    /// segment is noticed rather than its number taken again; nil when unknown.
    func head() -> UInt64? {
        let fd = open(headPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { Foundation.close(fd) }
        var raw = [UInt8](repeating: 0, count: 16)
        guard raw.withUnsafeMutableBytes({ pread(fd, $0.baseAddress, 16, 0) }) == 16 else { return nil }
        return raw.withUnsafeBytes { bytes -> UInt64? in
            guard UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt32.self)) == Self.headMagic else { return nil }
            var crc = CRC32()
            crc.update(UnsafeRawBufferPointer(rebasing: bytes[0..<12]))
            guard crc.value == UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 12, as: UInt32.self)) else { return nil }
            return UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 4, as: UInt64.self))
        }
    }

    static let headMagic: UInt32 = 0x4849_5654  // "TVIH" in file order

    /// Records `segment` as the highest created, durably: 16 bytes rewritten in place (one
    /// sector, so never torn), with the file's name made durable the first time.
    func writeHead(_ segment: UInt64) throws(InboxLogError) {
        let existed = FileManager.default.fileExists(atPath: headPath)
        let fd = open(headPath, O_WRONLY | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw .failed("opening", path: headPath) }
        defer { Foundation.close(fd) }
        var raw = [UInt8](repeating: 0, count: 16)
        raw.withUnsafeMutableBytes { bytes in
            bytes.storeBytes(of: Self.headMagic.littleEndian, toByteOffset: 0, as: UInt32.self)
            bytes.storeBytes(of: segment.littleEndian, toByteOffset: 4, as: UInt64.self)
            var crc = CRC32()
            crc.update(UnsafeRawBufferPointer(rebasing: bytes[0..<12]))
            bytes.storeBytes(of: crc.value.littleEndian, toByteOffset: 12, as: UInt32.self)
        }
        guard raw.withUnsafeBytes({ pwrite(fd, $0.baseAddress, 16, 0) }) == 16 else { throw .failed("writing", path: headPath) }
        guard fdatasync(fd) == 0 else { throw .failed("fdatasync", path: headPath) }
        if !existed { try sync() }
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
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .failed("opening the directory", path: path) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw .failed("fsync of the directory", path: path) }
    }

    /// Writes `size` zero bytes (a whole number of blocks) to a temporary file, fsyncs it and
    /// renames it to `path`; on any failure the temporary file is removed. The zeros bypass the
    /// page cache where the filesystem allows: through it they cost a copy and a writeback of
    /// every byte, about as much CPU as the records that later overwrite them.
    func createZeroed(size: Int, as path: String, temporary tmp: String) throws(InboxLogError) {
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
        if failure == nil && fsync(fd) != 0 { failure = .failed("fsync", path: tmp) }
        Foundation.close(fd)
        if failure == nil && rename(tmp, path) != 0 { failure = .failed("renaming", path: path) }
        if let failure {
            unlink(tmp)
            throw failure
        }
    }
}
