import Foundation

/// A local write that failed: the disk, not LINE. Carries the `errno`.
public struct DownloadWriteError: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: Int32

    public init(code: Int32) { self.code = code }

    /// ENOSPC or EDQUOT: no room left, which another request to LINE cannot fix.
    public var isDiskFull: Bool { code == ENOSPC || code == EDQUOT }

    public var description: String { String(cString: strerror(code)) }
}

/// Where downloads are written. Injected, so a test can make the disk full without filling one.
public protocol DownloadFiles: Sendable {
    /// Creates `path` for writing, or truncates it.
    func create(_ path: String) throws(DownloadWriteError) -> any DownloadFile
}

/// One download being written.
public protocol DownloadFile: AnyObject {
    func write(_ bytes: UnsafeRawBufferPointer) throws(DownloadWriteError)
    /// Flushes the bytes to the disk (fsync).
    func sync() throws(DownloadWriteError)
    func close()
}

/// Files on the local disk, written with write(2) so a full disk is seen as ENOSPC.
public struct LocalDownloadFiles: DownloadFiles {
    public init() {}

    public func create(_ path: String) throws(DownloadWriteError) -> any DownloadFile {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw DownloadWriteError(code: errno) }
        return LocalDownloadFile(fd: fd)
    }
}

final class LocalDownloadFile: DownloadFile {
    private var fd: Int32

    init(fd: Int32) { self.fd = fd }

    deinit { close() }

    func write(_ bytes: UnsafeRawBufferPointer) throws(DownloadWriteError) {
        guard var next = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let written = Foundation.write(fd, next, left)
            if written < 0 {
                if errno == EINTR { continue }
                throw DownloadWriteError(code: errno)
            }
            next += written
            left -= written
        }
    }

    func sync() throws(DownloadWriteError) {
        guard fsync(fd) == 0 else { throw DownloadWriteError(code: errno) }
    }

    func close() {
        guard fd >= 0 else { return }
        _ = Foundation.close(fd)
        fd = -1
    }
}
