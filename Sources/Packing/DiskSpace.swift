import Foundation

/// Free space where TalkVault writes. Injected, so a test can simulate a nearly full disk
/// without filling a real one.
public protocol DiskSpace: Sendable {
    /// Bytes an unprivileged process can still write on the file system holding `path`; nil
    /// when unknown (nothing is then held back for it).
    func availableBytes(at path: String) -> Int64?
}

/// The file system's own figure (statvfs: blocks available to unprivileged users).
public struct SystemDiskSpace: DiskSpace {
    public init() {}

    public func availableBytes(at path: String) -> Int64? {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else { return nil }
        let (bytes, overflow) = Int64(stats.f_bavail).multipliedReportingOverflow(by: Int64(stats.f_frsize))
        return overflow ? .max : bytes
    }
}
