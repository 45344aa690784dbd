/// What a backup's file name says: `YYYYMMDD_YYYYMMDD_<display name>.csv`, the dates the
/// download covers and the chat's display name (which may itself hold `_`).
public struct BackupFileName: Sendable, Equatable {
    /// The first and last day covered, `YYYYMMDD`.
    public var from: String
    public var to: String
    public var displayName: String

    /// Nil for a name of another shape. `name` is the last path component.
    public init?(_ name: String) {
        guard name.lowercased().hasSuffix(".csv") else { return nil }
        let stem = name.dropLast(4)
        let parts = stem.split(separator: "_", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, Self.isDate(parts[0]), Self.isDate(parts[1]), parts[0] <= parts[1], !parts[2].isEmpty else { return nil }
        from = String(parts[0])
        to = String(parts[1])
        displayName = String(parts[2])
    }

    private static func isDate(_ text: Substring) -> Bool {
        text.utf8.count == 8 && text.utf8.allSatisfy { (0x30...0x39).contains($0) }
    }
}
