import Foundation

/// A file read by offset with `pread`, so a zip is never loaded whole.
final class FileBytes {
    let fd: Int32
    let size: UInt64

    init(path: String) throws(Refusal) {
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Refusal(errno: errno) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            close(fd)
            throw Refusal(errno: code)
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw Refusal(.unreadable(detail: "not a regular file"))
        }
        size = UInt64(info.st_size)
    }

    deinit { close(fd) }

    /// Exactly `count` bytes at `offset`; nil when the file ends first.
    func bytes(at offset: UInt64, count: Int) throws(Refusal) -> [UInt8]? {
        var result = [UInt8](repeating: 0, count: count)
        let got = try result.withUnsafeMutableBytes { self.read(into: $0, at: offset) }.get()
        return got == count ? result : nil
    }

    /// Fills `buffer` from `offset` as far as the file goes: the bytes read, or the failure.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) -> Result<Int, Refusal> {
        var done = 0
        while done < buffer.count {
            let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                return .failure(Refusal(errno: errno))
            }
            if n == 0 { break }
            done += n
        }
        return .success(done)
    }
}

/// Little-endian fields of a zip record.
extension Array where Element == UInt8 {
    func u16(_ at: Int) -> UInt16 { UInt16(self[at]) | UInt16(self[at + 1]) << 8 }
    func u32(_ at: Int) -> UInt32 { UInt32(u16(at)) | UInt32(u16(at + 2)) << 16 }
}
