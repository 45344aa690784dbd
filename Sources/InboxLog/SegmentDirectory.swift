import Foundation

/// The inbox log's directory: `<ledger>-inbox/`, holding numbered segment files
/// (`0000000000000007.seg`), the writer's `lock`, and briefly a `.tmp` segment being zero-filled.
public struct SegmentDirectory: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    /// The log beside the ledger at `ledgerPath`.
    public init(ledgerPath: String) { self.init(path: ledgerPath + "-inbox") }

    func file(_ segment: UInt64) -> String {
        let hex = String(segment, radix: 16)
        return path + "/" + String(repeating: "0", count: max(0, 16 - hex.count)) + hex + ".seg"
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
