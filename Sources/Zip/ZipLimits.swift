/// What a zip may hold before it is refused, all checked against the central directory before
/// any entry is read. The defaults fit a chat backup with room to spare.
public struct ZipLimits: Sendable, Equatable {
    /// Entries in the central directory, directories included.
    public var maxEntries: Int
    /// One entry's declared uncompressed size.
    public var maxEntryBytes: UInt64
    /// All entries' declared uncompressed sizes together.
    public var maxTotalBytes: UInt64
    /// An entry's uncompressed size over its compressed size; a bomb's is in the thousands.
    public var maxRatio: UInt64
    /// An entry name's length in bytes: every name is kept in memory, so this bounds the
    /// memory the central directory can take (file systems allow 255 bytes per component).
    public var maxNameBytes: Int

    /// Limits with the defaults, any of them changed.
    public init(maxEntries: Int = 20_000, maxEntryBytes: UInt64 = 256 << 20, maxTotalBytes: UInt64 = 8 << 30,
                maxRatio: UInt64 = 100, maxNameBytes: Int = 1024) {
        self.maxEntries = maxEntries
        self.maxEntryBytes = maxEntryBytes
        self.maxTotalBytes = maxTotalBytes
        self.maxRatio = maxRatio
        self.maxNameBytes = maxNameBytes
    }
}
