import Foundation

/// What identifies one version of the users file: every write publishes a new file under the
/// name, so its device, inode, size and change times differ from the last version's. One
/// `stat` tells a long-running console whether it must read the file again.
public struct FileStamp: Sendable, Hashable {
    public var device: UInt64
    public var inode: UInt64
    public var size: Int64
    /// Modification and status-change times, in nanoseconds since the epoch.
    public var modified: Int64
    public var changed: Int64

    init(_ info: stat) {
        device = UInt64(truncatingIfNeeded: info.st_dev)
        inode = UInt64(truncatingIfNeeded: info.st_ino)
        size = Int64(info.st_size)
        #if canImport(Darwin)
        modified = Int64(info.st_mtimespec.tv_sec) * 1_000_000_000 + Int64(info.st_mtimespec.tv_nsec)
        changed = Int64(info.st_ctimespec.tv_sec) * 1_000_000_000 + Int64(info.st_ctimespec.tv_nsec)
        #else
        modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        changed = Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec)
        #endif
    }
}

/// The users as read at one moment, with the stamp of the file they were read from (nil: there
/// was no file, so no users). `UserDirectory.refreshed(_:)` reads again only when the stamp changed.
public struct UserSnapshot: Sendable, Equatable {
    /// Sorted by name.
    public let users: [ConsoleUser]
    public let stamp: FileStamp?

    public init(users: [ConsoleUser], stamp: FileStamp?) {
        self.users = users
        self.stamp = stamp
    }

    /// The user named exactly `name`, or nil.
    public func user(named name: String) -> ConsoleUser? {
        users.first { $0.name == name }
    }
}
