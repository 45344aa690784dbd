import Crypto
import Foundation

/// A new file written through a buffer, hashed as it goes, and made durable with fsync. It is
/// created exclusively, so two writers can never share a temporary file. Segments and exports
/// are both written through it.
public final class OutputFile {
    public let path: String
    private let fd: Int32
    private var buffer: [UInt8] = []
    private let capacity = 1 << 20
    /// Bytes written so far.
    public private(set) var offset: UInt64 = 0
    /// SHA-256 of everything written so far.
    public private(set) var hasher = SHA256()
    private var closed = false

    /// Creates `path`, which must not exist.
    public init(path: String) throws(ArchiveError) {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw .io(path: path, reason: "cannot create (\(Errno.text()))") }
        buffer.reserveCapacity(capacity)
    }

    deinit { if !closed { Foundation.close(fd) } }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(ArchiveError) {
        hasher.update(bufferPointer: bytes)
        offset += UInt64(bytes.count)
        if buffer.count + bytes.count > capacity { try flush() }
        if bytes.count >= capacity {
            try writeAll(bytes)
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    public func write(_ bytes: [UInt8]) throws(ArchiveError) {
        do { try bytes.withUnsafeBytes { try write($0) } } catch let error as ArchiveError { throw error } catch {
            throw .io(path: path, reason: "\(error)")
        }
    }

    public func flush() throws(ArchiveError) {
        guard !buffer.isEmpty else { return }
        let pending = buffer
        buffer.removeAll(keepingCapacity: true)
        do { try pending.withUnsafeBytes { try writeAll($0) } } catch let error as ArchiveError { throw error } catch {
            throw .io(path: path, reason: "\(error)")
        }
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws(ArchiveError) {
        var done = 0
        while done < bytes.count {
            let n = Foundation.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(path: path, reason: "write failed (\(Errno.text()))")
            }
            done += n
        }
    }

    /// Flushes, fsyncs and closes the file.
    public func syncAndClose() throws(ArchiveError) {
        try flush()
        guard fsync(fd) == 0 else { throw .io(path: path, reason: "fsync failed (\(Errno.text()))") }
        closed = true
        guard Foundation.close(fd) == 0 else { throw .io(path: path, reason: "close failed (\(Errno.text()))") }
    }
}

/// The steps that make a finished file durable under its final name.
public enum Durable {
    /// Renames `temporary` to `final` (never replacing an existing file), then fsyncs the directory
    /// so the new name survives a crash.
    public static func publish(temporary: String, final: String) throws(ArchiveError) {
        guard link(temporary, final) == 0 else {
            throw .io(path: final, reason: "cannot publish (\(Errno.text()))")
        }
        unlink(temporary)
        try syncDirectory((final as NSString).deletingLastPathComponent)
    }

    /// fsyncs a directory, making the names in it durable.
    public static func syncDirectory(_ path: String) throws(ArchiveError) {
        let path = path.isEmpty ? "." : path
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .io(path: path, reason: "cannot open directory (\(Errno.text()))") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw .io(path: path, reason: "directory fsync failed (\(Errno.text()))") }
    }

    /// Creates `path` and any missing parents, fsyncing each parent that gained an entry.
    public static func makeDirectories(_ path: String) throws(ArchiveError) {
        var missing: [String] = []
        var cursor = path
        while !FileManager.default.fileExists(atPath: cursor), cursor != "/", !cursor.isEmpty {
            missing.append(cursor)
            cursor = (cursor as NSString).deletingLastPathComponent
        }
        for directory in missing.reversed() {
            guard mkdir(directory, 0o750) == 0 || errno == EEXIST else {
                throw .io(path: directory, reason: "cannot create directory (\(Errno.text()))")
            }
            try syncDirectory((directory as NSString).deletingLastPathComponent)
        }
    }
}

enum Errno {
    static func text() -> String { String(cString: strerror(errno)) }
}
