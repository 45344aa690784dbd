import Foundation

/// The data dir's pack lock: one pack or sweep at a time. flock is released by the kernel
/// when the process dies, so a `kill -9` never leaves it stuck.
public final class PackLock {
    private let fd: Int32

    private init(fd: Int32) { self.fd = fd }

    /// Takes the lock at once, or throws `.held`.
    public static func acquire(dataDir: String) throws(PackLockError) -> PackLock {
        try? FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        let path = dataDir + "/pack.lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw .cannotOpen(path: path) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw .held(path: path)
        }
        return PackLock(fd: fd)
    }

    public func release() {
        flock(fd, LOCK_UN)
        close(fd)
    }
}

public enum PackLockError: Error, CustomStringConvertible {
    case held(path: String)
    case cannotOpen(path: String)

    public var description: String {
        switch self {
        case .held(let path): return "another pack or sweep is running (lock \(path)); try again when it ends"
        case .cannotOpen(let path): return "cannot open the lock file \(path)"
        }
    }
}
