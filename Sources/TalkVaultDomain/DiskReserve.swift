/// The room a sweep keeps on the disk. Staged downloads wait on the same disk as the archive
/// they are packed into, so a sweep that staged until the disk was full could pack nothing,
/// not even the text records that need kilobytes. Downloads stop while what is staged could
/// no longer be packed beside itself with `reserveBytes` to spare; a pack takes content only
/// while it fits, keeping `packHeadroomBytes` for records, the manifest and the ledger.
public struct DiskReserve: Sendable, Equatable {
    public var reserveBytes: Int64
    public var packHeadroomBytes: Int64

    public init(reserveBytes: Int64, packHeadroomBytes: Int64 = DiskReserve.defaultPackHeadroomBytes) {
        self.reserveBytes = max(0, reserveBytes)
        self.packHeadroomBytes = max(0, packHeadroomBytes)
    }

    public static let defaultPackHeadroomBytes: Int64 = 16 << 20

    /// True when a download of about `nextBytes` (0 when its size is not known) may start:
    /// once it lands, everything staged still fits in a segment, with the reserve to spare.
    public func allowsDownload(availableBytes: Int64, stagedBytes: Int64, nextBytes: Int64) -> Bool {
        let next = max(0, nextBytes)
        // In Double: a config's reserve near Int64's limit must not overflow.
        return Double(availableBytes) - Double(next) >= Double(max(0, stagedBytes)) + Double(next) + Double(reserveBytes)
    }

    /// True when a content entry of `bytes` may go into the segment being written.
    public func allowsPacking(availableBytes: Int64, bytes: Int64) -> Bool {
        Double(availableBytes) - Double(max(0, bytes)) >= Double(packHeadroomBytes)
    }
}
