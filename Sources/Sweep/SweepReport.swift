import Foundation
import Ledger
import Store
import TalkVaultDomain

/// Progress while downloading, for the TTY bar.
public struct SweepProgress: Sendable {
    public var done: Int
    public var total: Int
    public var bytes: Int64
}

/// What a sweep did, and where things stand after it.
public struct SweepReport: Sendable, Codable, Equatable {
    public var planned = 0
    public var downloaded = 0
    public var bytes: Int64 = 0
    /// Attempts that failed and were tried again (5xx, timeouts, cut bodies, 429).
    public var retried = 0
    /// Videos and audio still transcoding when this run stopped waiting: the next run tries again.
    public var waitingTranscode = 0
    /// Items that failed past the retry budget: the next run tries again.
    public var leftForNextRun = 0
    /// True when downloads stopped for lack of disk space: what was staged could no longer have
    /// been packed with `sweep.disk_reserve_bytes` to spare, or a write found the disk full.
    public var stoppedForDiskSpace = false
    /// Items not downloaded because of it: the next run with room tries again.
    public var leftForDiskSpace = 0
    /// Downloads the pack left staged because they did not fit on the disk.
    public var unpackedForDiskSpace = 0
    /// Bytes downloaded and waiting to be packed when the run ended.
    public var stagedBytes: Int64 = 0
    /// Free bytes in the data dir when the run ended; nil when unknown.
    public var diskAvailableBytes: Int64?
    /// Newly lost in this run, by reason.
    public var lost: [String: Int] = [:]
    public var unsent = 0
    /// markAsRead calls sent to LINE this run, those that failed (kept for the next), and those
    /// LINE refused for good (kept with the reason, not sent again).
    public var receiptsSent = 0
    public var receiptsFailed = 0
    public var receiptsRefused = 0
    public var packedRecords = 0
    public var packedContent = 0
    public var segments: [String] = []
    public var atRisk = 0
    public var overdue = 0
    public var nextDeadline: String?
    public var seconds = 0.0
    /// `--dry-run`: the plan, in order.
    public var plan: [PlannedItem] = []

    public init() {}

    /// True when systemd should alert: something is at risk or was lost in this run.
    public var needsAttention: Bool { atRisk > 0 || lost.values.reduce(0, +) > 0 }

    /// True when the disk kept this run from downloading or packing everything.
    public var needsDiskSpace: Bool { stoppedForDiskSpace || unpackedForDiskSpace > 0 }

    public struct PlannedItem: Sendable, Codable, Equatable {
        public var messageId: String
        public var kind: String
        public var deadline: String
        public var secondsLeft: Int64
        public var provider: String

        init(_ item: DueContent, now: Instant, timeZone: TimeZone) {
            messageId = item.id
            kind = item.kind.rawValue
            deadline = item.deadline.rfc3339(in: timeZone)
            secondsLeft = item.deadline.seconds(since: now)
            provider = item.provider
        }

        enum CodingKeys: String, CodingKey {
            case kind, deadline, provider
            case messageId = "message_id", secondsLeft = "seconds_left"
        }
    }

    mutating func merge(_ counts: Tally.Counts) {
        downloaded = counts.downloaded
        bytes = counts.bytes
        retried = counts.retried
        waitingTranscode = counts.waiting
        leftForNextRun = counts.left
        leftForDiskSpace = counts.leftForSpace
        lost = counts.lost
        unsent = counts.unsent
    }

    enum CodingKeys: String, CodingKey {
        case planned, downloaded, bytes, retried, lost, unsent, segments, overdue, seconds, plan
        case waitingTranscode = "waiting_transcode", leftForNextRun = "left_for_next_run", packedRecords = "packed_records"
        case packedContent = "packed_content", atRisk = "at_risk", nextDeadline = "next_deadline"
        case receiptsSent = "read_receipts_sent", receiptsFailed = "read_receipts_failed", receiptsRefused = "read_receipts_refused"
        case stoppedForDiskSpace = "stopped_for_disk_space", leftForDiskSpace = "left_for_disk_space"
        case unpackedForDiskSpace = "unpacked_for_disk_space", stagedBytes = "staged_bytes", diskAvailableBytes = "disk_available_bytes"
    }
}

/// Counts outcomes as workers finish items.
actor Tally {
    struct Counts: Sendable {
        var downloaded = 0, bytes: Int64 = 0, retried = 0, waiting = 0, left = 0, leftForSpace = 0, unsent = 0
        var lost: [String: Int] = [:]
    }

    private(set) var counts = Counts()
    private var done = 0
    private let total: Int
    private let progress: @Sendable (SweepProgress) -> Void

    init(total: Int, progress: @escaping @Sendable (SweepProgress) -> Void) {
        self.total = total
        self.progress = progress
    }

    func retried() { counts.retried += 1 }

    func finish(_ outcome: ItemOutcome) {
        switch outcome {
        case .downloaded(let bytes):
            counts.downloaded += 1
            counts.bytes += bytes
        case .lost(let reason): counts.lost[reason.rawValue, default: 0] += 1
        case .unsent: counts.unsent += 1
        case .waitingTranscode: counts.waiting += 1
        case .left: counts.left += 1
        case .leftForSpace: counts.leftForSpace += 1
        }
        done += 1
        progress(SweepProgress(done: done, total: total, bytes: counts.bytes))
    }
}
