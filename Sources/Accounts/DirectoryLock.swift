import DurableFile
import Foundation

/// An flock on `users.lock` beside the users file: every change reads, edits and replaces the
/// file while holding it, so two `user add` at once (two processes, or two threads) both land.
/// The kernel drops it when its process dies.
struct DirectoryLock {
    let path: String
    let owner: FileOwner?

    /// Runs `body` holding the lock, waiting for it as long as another change holds it.
    func withLock<T>(_ body: () throws(AccountsError) -> T) throws(AccountsError) -> T {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .io(path: path, reason: "cannot open the lock file (\(Errno.text()))") }
        defer { close(fd) }
        try owner?.adopt(fd, path: path)
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw .io(path: path, reason: "cannot lock (\(Errno.text()))") }
        }
        return try body()
    }
}
