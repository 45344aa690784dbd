import Packing
import TalkVaultDomain

/// Keeps a sweep from filling the disk: no download starts while what is staged could no
/// longer be packed beside itself with the reserve to spare, nor after a write found the disk
/// full. Free space is asked before each download, so one that others freed is used.
actor DiskGuard {
    private let disk: any DiskSpace
    /// Where downloads are staged: the file system whose space counts.
    private let path: String
    private let reserve: DiskReserve
    /// Bytes downloaded and not yet packed.
    private(set) var stagedBytes: Int64
    /// True once downloads stopped for lack of space; they stay stopped for this run.
    private(set) var stopped = false
    /// Bytes downloads in flight may still write, by message id: counted as staged already,
    /// so several workers checking at once cannot each take the same free space.
    private var inFlight: [String: Int64] = [:]

    private var committed: Int64 { inFlight.values.reduce(stagedBytes, +) }

    init(disk: any DiskSpace, path: String, reserve: DiskReserve, stagedBytes: Int64) {
        self.disk = disk
        self.path = path
        self.reserve = reserve
        self.stagedBytes = stagedBytes
    }

    /// True when a download of about `nextBytes` (0 when unknown) may start.
    func mayStart(nextBytes: Int64) -> Bool {
        guard !stopped else { return false }
        if let available = disk.availableBytes(at: path),
           !reserve.allowsDownload(availableBytes: available, stagedBytes: committed, nextBytes: nextBytes) {
            stopped = true
        }
        return !stopped
    }

    /// Takes room for `bytes` of message `id`'s download (its `Content-Length`, once LINE has
    /// said it) beside everything staged and in flight; false stops downloads for this run.
    func reserve(_ id: String, bytes: Int64) -> Bool {
        inFlight[id] = nil
        guard mayStart(nextBytes: bytes) else { return false }
        inFlight[id] = max(0, bytes)
        return true
    }

    /// The download of `id` ended: its room is given back, and what it staged, if anything, counted.
    func settle(_ id: String, staged bytes: Int64?) {
        inFlight[id] = nil
        if let bytes { stagedBytes += bytes }
    }

    /// A write met ENOSPC: no more downloads this run.
    func full() { stopped = true }
}
