import Foundation
import LINEClient
import Ledger
import Store
import Packing
import ReadReceipts
import TalkVaultDomain

/// The ledger, owned by one actor so concurrent downloads can record their outcomes at once:
/// a finished download is in the ledger before the next starts, whatever happens later.
actor SweepLedger {
    private let stores: Stores

    /// Opens a ledger a writer has migrated (and applied the inbox to).
    /// - Parameter reading: only read (a plan): the ledger is opened read-only.
    init(path: String, policy: RetentionPolicy, reading: Bool = false) throws(LedgerError) {
        stores = try Ledger(path: path, policy: policy, access: reading ? .readOnly : .readWrite(create: false)).stores
    }

    func due(limit: Int?, kinds: Set<MessageKind>, until: Instant?) throws(LedgerError) -> [DueContent] {
        try stores.contentQueue.dueContent(limit: limit, kinds: kinds, until: until)
    }

    func markAutoRead() throws(LedgerError) { _ = try stores.readState.markAutoRead() }

    func markAutoRead(channel: String) throws(LedgerError) { _ = try stores.readState.markAutoRead(channel: channel) }

    func downloadedIds() throws(LedgerError) -> Set<String> { try stores.contentQueue.downloadedIds() }

    func recordDownload(id: String, file: String, size: Int64, sha256: String, contentType: String?, at now: Instant) throws(LedgerError) {
        try stores.contentQueue.recordDownload(id: id, stagedFile: file, size: size, sha256: sha256, contentType: contentType, at: now)
    }

    func markLost(id: String, reason: LossReason, at now: Instant, detail: String) throws(LedgerError) -> Bool {
        try stores.contentQueue.markLost(id: id, reason: reason, at: now, detail: detail)
    }

    func markGone(id: String, at now: Instant) throws(LedgerError) -> Transition? { try stores.contentQueue.markGone(id: id, at: now) }

    func noteAttempt(id: String, at now: Instant, detail: String) throws(LedgerError) {
        try stores.contentQueue.noteAttempt(id: id, at: now, detail: detail)
    }

    func pack(settings: PackSettings, clock: any WallClock, disk: any DiskSpace) throws -> PackReport {
        try Packer(stores: stores, settings: settings, clock: clock, disk: disk).pack()
    }

    func stagedBytes() throws(LedgerError) -> Int64 { try stores.contentQueue.stagedBytes() }

    /// Sends the markAsRead calls still owed to LINE; failures stay queued, refusals are kept
    /// with their reason and not sent again.
    func sendReceipts(_ clients: PerChannel<MarkAsReadClient>, clock: any WallClock) async throws(LedgerError) -> ReadReceipts.Outcome {
        try await ReadReceipts.sendPending(from: stores.readState, clients: clients, clock: clock)
    }

    func status(now: Instant, timeZone: TimeZone) throws(LedgerError) -> StatusReport {
        try stores.status.status(now: now, timeZone: timeZone, deadlineLimit: 1, riskLimit: 0)
    }
}

/// The shared token bucket, with the sleeping the pure `TokenBucket` leaves to its caller, on
/// the waiting clock.
actor RateGate {
    private var bucket: TokenBucket
    private let clock: any WaitingClock

    init(rate: Double, burst: Double, clock: any WaitingClock) {
        bucket = TokenBucket(rate: rate, burst: burst, at: clock.elapsedMilliseconds())
        self.clock = clock
    }

    /// Waits for a token; throws `CancellationError` when the task is cancelled.
    func acquire() async throws {
        while let wait = bucket.take(at: clock.elapsedMilliseconds()) {
            try await clock.sleep(milliseconds: wait)
        }
    }

    func throttled(retryAfterSeconds: Double?, fallbackMilliseconds: Int64) {
        bucket.throttled(at: clock.elapsedMilliseconds(), retryAfterSeconds: retryAfterSeconds, fallbackMilliseconds: fallbackMilliseconds)
    }

    var rate: Double { bucket.rate }
}

/// Hands out plan items in order to the download workers.
actor WorkQueue {
    private var next = 0
    private let items: [DueContent]

    init(_ items: [DueContent]) { self.items = items }

    func take() -> DueContent? {
        guard next < items.count else { return nil }
        defer { next += 1 }
        return items[next]
    }
}
