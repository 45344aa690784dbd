import Crypto
import Foundation

/// A new file written through a buffer, hashed as it goes, and made durable with fsync. It is
/// created exclusively, so two writers can never share a temporary file. Segments, exports and
/// their manifests are all written through it, then published with `Durable.publish`.
/// Each buffer is hashed on a queue of its own as it is written out, so hashing a large file
/// takes the second core rather than the writer's.
public final class OutputFile {
    public let path: String
    private let fd: Int32
    private var buffer: [UInt8] = []
    private let capacity = 1 << 20
    /// Bytes written so far.
    public private(set) var offset: UInt64 = 0
    private let hashes = HashPipeline()
    /// SHA-256 of everything written so far.
    public var hasher: SHA256 { hashes.current(adding: buffer) }
    private var closed = false

    /// Creates `path`, which must not exist.
    public init(path: String) throws(DurableFileError) {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw .io(path: path, reason: "cannot create (\(Errno.text()))") }
        buffer.reserveCapacity(capacity)
    }

    deinit { if !closed { Foundation.close(fd) } }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(DurableFileError) {
        offset += UInt64(bytes.count)
        if buffer.count + bytes.count > capacity { try flush() }
        if bytes.count >= capacity {
            hashes.update(Array(bytes))
            try writeAll(bytes)
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    public func write(_ bytes: [UInt8]) throws(DurableFileError) {
        do { try bytes.withUnsafeBytes { try write($0) } } catch let error as DurableFileError { throw error } catch {
            throw .io(path: path, reason: "\(error)")
        }
    }

    public func flush() throws(DurableFileError) {
        guard !buffer.isEmpty else { return }
        let pending = buffer
        buffer.removeAll(keepingCapacity: true)
        hashes.update(pending)
        do { try pending.withUnsafeBytes { try writeAll($0) } } catch let error as DurableFileError { throw error } catch {
            throw .io(path: path, reason: "\(error)")
        }
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws(DurableFileError) {
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
    public func syncAndClose() throws(DurableFileError) {
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
    public static func publish(temporary: String, final: String) throws(DurableFileError) {
        guard link(temporary, final) == 0 else {
            throw .io(path: final, reason: "cannot publish (\(Errno.text()))")
        }
        unlink(temporary)
        try syncDirectory((final as NSString).deletingLastPathComponent)
    }

    /// Gives the finished file `temporary` the name `final`, both names inside the directory open
    /// as `directory` (`path` names it in errors), so that no symlink on the way is followed, then
    /// fsyncs the directory. An existing `final` is kept and the result is false, unless
    /// `replacing`: then it is replaced in one step. The temporary name is gone afterwards either way.
    @discardableResult
    public static func publish(temporary: String, as final: String, inDirectory directory: Int32, path: String,
                               replacing: Bool = false) throws(DurableFileError) -> Bool {
        if linkat(directory, temporary, directory, final, 0) != 0 {
            let code = errno
            guard code == EEXIST else {
                unlinkat(directory, temporary, 0)
                throw .io(path: path + "/" + final, reason: "cannot publish (\(String(cString: strerror(code))))")
            }
            guard replacing else {
                unlinkat(directory, temporary, 0)
                return false
            }
            guard renameat(directory, temporary, directory, final) == 0 else {
                let reason = Errno.text()
                unlinkat(directory, temporary, 0)
                throw .io(path: path + "/" + final, reason: "cannot replace (\(reason))")
            }
        } else {
            unlinkat(directory, temporary, 0)
        }
        try syncDirectory(fd: directory, path: path)
        return true
    }

    /// fsyncs a directory, making the names in it durable.
    public static func syncDirectory(_ path: String) throws(DurableFileError) {
        let path = path.isEmpty ? "." : path
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .io(path: path, reason: "cannot open directory (\(Errno.text()))") }
        defer { close(fd) }
        try syncDirectory(fd: fd, path: path)
    }

    /// fsyncs a directory already open as `fd` (`path` names it in an error).
    public static func syncDirectory(fd: Int32, path: String) throws(DurableFileError) {
        guard fsync(fd) == 0 else { throw .io(path: path, reason: "directory fsync failed (\(Errno.text()))") }
    }

    /// Creates `path` and any missing parents, fsyncing each parent that gained an entry.
    public static func makeDirectories(_ path: String) throws(DurableFileError) {
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

/// Why a file could not be written, synced, published or its directory made durable.
public enum DurableFileError: Error, Equatable, Sendable, CustomStringConvertible {
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case .io(let path, let reason): return "\(path): \(reason)"
        }
    }

    /// The path and the reason, for an error type of the caller's.
    public var path: String { if case .io(let path, _) = self { return path }; return "" }
    public var reason: String { if case .io(_, let reason) = self { return reason }; return "" }
}

/// The text of the current `errno`, for error reasons.
public enum Errno {
    public static func text() -> String { String(cString: strerror(errno)) }
}

/// SHA-256 over buffers handed to it in order, computed on a serial queue; at most four wait.
final class HashPipeline: @unchecked Sendable {
    private var state = SHA256()
    private let queue = DispatchQueue(label: "talkvault.output-hash")
    private let slots = DispatchSemaphore(value: 4)

    func update(_ bytes: [UInt8]) {
        slots.wait()
        queue.async { [self] in
            state.update(data: bytes)
            slots.signal()
        }
    }

    /// The hash of everything handed over so far, then `tail`.
    func current(adding tail: [UInt8]) -> SHA256 {
        var copy = queue.sync { state }
        copy.update(data: tail)
        return copy
    }
}
