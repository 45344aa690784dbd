/// The data dir, and the paths the ledger records in it. Every recorded path is relative to
/// the data dir, so a data dir moved or copied whole keeps working, and no command reaches a
/// file outside its own data dir. Pure path arithmetic: nothing is read from the disk.
public struct DataDir: Sendable, Equatable {
    /// The data dir's absolute path, without a trailing slash.
    public let path: String

    /// `path` must be absolute; `.` and empty components are dropped.
    public init(_ path: String) {
        self.path = "/" + Self.components(path).joined(separator: "/")
    }

    /// How the ledger records `absolute`: relative to the data dir; nil when it is not inside.
    public func relative(_ absolute: String) -> String? {
        guard absolute.hasPrefix("/") else { return nil }
        let root = Self.components(path), parts = Self.components(absolute)
        guard parts.count > root.count, Array(parts.prefix(root.count)) == root,
              !parts.contains("..") else { return nil }
        return parts.dropFirst(root.count).joined(separator: "/")
    }

    /// The file a recorded path names, or nil when it would be outside this data dir: an
    /// absolute path elsewhere (recorded by an older TalkVault in another data dir, which may
    /// be the original of this copy), or a relative one that climbs out with `..`.
    public func resolve(_ recorded: String) -> String? {
        if recorded.hasPrefix("/") { return relative(recorded).map { path + "/" + $0 } }
        let parts = Self.components(recorded)
        guard !parts.isEmpty, !parts.contains("..") else { return nil }
        return path + "/" + parts.joined(separator: "/")
    }

    private static func components(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init).filter { $0 != "." }
    }
}
