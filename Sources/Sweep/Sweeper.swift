import Archive
import Foundation
import LINEClient
import Ledger
import Store
import Logging
import Packing
import TalkVaultDomain

/// How a sweep downloads.
public struct SweepSettings: Sendable {
    public var ledgerPath: String
    public var policy: RetentionPolicy
    public var timeZone: TimeZone
    /// Where downloads wait to be packed, inside the data dir (`pack.dataDir`).
    public var stagingDir: String
    public var pack: PackSettings
    public var concurrency: Int
    /// Requests per second, on average.
    public var rateLimit: Double
    public var burst: Double
    /// Tries per item per run for 5xx, timeouts and cut bodies.
    public var maxAttempts: Int
    public var backoffBaseMilliseconds: Int64
    public var backoffCapMilliseconds: Int64
    /// How long to poll a transcoding video or audio before leaving it to the next run.
    public var transcodeWaitSeconds: Double
    public var order: SweepOrder
    /// Where read state comes from; with `line`, `botInfo` is asked. For every message when
    /// `channels` is empty, else for the channels listed there.
    public var readMode: ReadMode = .manual
    public var botInfo: BotInfoClient?
    /// Each channel's read state, when there are several.
    public var channels: [SweepChannel] = []
    /// Where each channel's access token comes from, for the warning when it is missing; a
    /// channel not named here gets the default names (`ChannelName.tokenHint`).
    public var tokenHints: [String: String] = [:]
    /// Free space kept beyond what packing the staged downloads needs (`sweep.disk_reserve_bytes`).
    public var diskReserveBytes: Int64 = 256 << 20

    public init(ledgerPath: String, policy: RetentionPolicy, timeZone: TimeZone, stagingDir: String, pack: PackSettings,
                concurrency: Int = 4, rateLimit: Double = 50, burst: Double = 10, maxAttempts: Int = 4,
                backoffBaseMilliseconds: Int64 = 500, backoffCapMilliseconds: Int64 = 30_000, transcodeWaitSeconds: Double = 20,
                order: SweepOrder = .edf) {
        self.ledgerPath = ledgerPath
        self.policy = policy
        self.timeZone = timeZone
        self.stagingDir = stagingDir
        self.pack = pack
        self.concurrency = max(1, concurrency)
        self.rateLimit = rateLimit
        self.burst = burst
        self.maxAttempts = max(1, maxAttempts)
        self.backoffBaseMilliseconds = backoffBaseMilliseconds
        self.backoffCapMilliseconds = backoffCapMilliseconds
        self.transcodeWaitSeconds = transcodeWaitSeconds
        self.order = order
    }
}

/// One channel's read state, for a sweep of several.
public struct SweepChannel: Sendable {
    public var name: String
    public var readMode: ReadMode
    public var botInfo: BotInfoClient?

    public init(name: String, readMode: ReadMode, botInfo: BotInfoClient?) {
        self.name = name
        self.readMode = readMode
        self.botInfo = botInfo
    }
}

/// What the operator narrowed the run to.
public struct SweepOptions: Sendable {
    public var dryRun = false
    public var limit: Int?
    public var kinds: Set<MessageKind> = []
    /// Only items due by then.
    public var until: Instant?
    /// Skip packing (the comparison benchmark measures downloads alone).
    public var pack = true

    public init(dryRun: Bool = false, limit: Int? = nil, kinds: Set<MessageKind> = [], until: Instant? = nil, pack: Bool = true) {
        self.dryRun = dryRun
        self.limit = limit
        self.kinds = kinds
        self.until = until
        self.pack = pack
    }
}

/// A sweep: plan earliest deadline first, download with bounded concurrency under a token
/// bucket, record each outcome at once, then pack what is ready.
public struct Sweeper: Sendable {
    var settings: SweepSettings
    /// Each channel's content client (its access token); an item of a channel without one is left.
    let clients: PerChannel<ContentClient>
    let markAsRead: PerChannel<MarkAsReadClient>?
    /// "Now": deadlines, and the times the ledger records.
    let clock: any WallClock
    /// How long a wait lasts: the rate limit, 429 pauses, backoff and transcode patience.
    let waiting: any WaitingClock
    /// Free space in the data dir, asked before each download and by the pack.
    let disk: any DiskSpace
    let logger: Logger

    /// `markAsRead`, when given, sends the markAsRead calls still owed to LINE.
    public init(settings: SweepSettings, client: ContentClient, markAsRead: MarkAsReadClient? = nil, clock: any WallClock,
                waiting: any WaitingClock = SystemWaitingClock(), disk: any DiskSpace = SystemDiskSpace(), logger: Logger) {
        self.init(settings: settings, clients: PerChannel(client), markAsRead: markAsRead.map { PerChannel($0) }, clock: clock,
                  waiting: waiting, disk: disk, logger: logger)
    }

    /// A sweep of several channels: each item is downloaded with its channel's client, under
    /// that channel's own rate limit (LINE's limit is per channel).
    public init(settings: SweepSettings, clients: PerChannel<ContentClient>, markAsRead: PerChannel<MarkAsReadClient>?, clock: any WallClock,
                waiting: any WaitingClock = SystemWaitingClock(), disk: any DiskSpace = SystemDiskSpace(), logger: Logger) {
        self.settings = settings
        self.clients = clients
        self.markAsRead = markAsRead
        self.clock = clock
        self.waiting = waiting
        self.disk = disk
        self.logger = logger
    }

    /// The plan alone (`--dry-run`), and where things stand: it reads the ledger and changes
    /// nothing, so it needs neither the network nor an access token.
    public static func plan(settings: SweepSettings, options: SweepOptions, clock: any WallClock) async throws -> SweepReport {
        let started = DispatchTime.now().uptimeNanoseconds
        let ledger = try SweepLedger(path: settings.ledgerPath, policy: settings.policy, reading: true)
        let plan = try await planned(ledger, settings: settings, options: options)
        var report = SweepReport()
        report.planned = plan.count
        report.plan = plan.map { SweepReport.PlannedItem($0, now: clock.now(), timeZone: settings.timeZone) }
        return try await finish(report, ledger: ledger, settings: settings, clock: clock, started: started)
    }

    public func run(_ options: SweepOptions, progress: @escaping @Sendable (SweepProgress) -> Void = { _ in }) async throws -> SweepReport {
        if options.dryRun { return try await Self.plan(settings: settings, options: options, clock: clock) }
        let started = DispatchTime.now().uptimeNanoseconds
        guard DataDir(settings.pack.dataDir).relative(settings.stagingDir + "/download") != nil else {
            throw SweepError.stagingOutsideDataDir(stagingDir: settings.stagingDir, dataDir: settings.pack.dataDir)
        }
        let ledger = try SweepLedger(path: settings.ledgerPath, policy: settings.policy)
        try await cleanStaging(ledger)
        let plan = try await Self.planned(ledger, settings: settings, options: options)
        var report = SweepReport()
        report.planned = plan.count
        try await applyReadMode(ledger)
        // Said once per channel: its items are left, each run, until the channel has a token.
        for (channel, items) in Dictionary(grouping: plan.filter { clients[$0.channel] == nil }, by: \.channel).sorted(by: { $0.key < $1.key }) {
            logger.warning("no access token for the channel: its downloads are left for a run that has one", metadata: [
                "channel": "\(channel)", "items": "\(items.count)", "token": "\(settings.tokenHints[channel] ?? ChannelName.tokenHint(channel))",
            ])
        }
        let tally = Tally(total: plan.count, progress: progress)
        let queue = WorkQueue(plan)
        // One token bucket per channel: a 429 on one channel slows only that channel.
        let gates = Dictionary(Set(plan.map(\.channel)).map { ($0, RateGate(rate: settings.rateLimit, burst: settings.burst, clock: waiting)) }) { a, _ in a }
        let space = DiskGuard(disk: disk, path: settings.stagingDir, reserve: DiskReserve(reserveBytes: settings.diskReserveBytes),
                              stagedBytes: try await ledger.stagedBytes())
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<min(settings.concurrency, max(1, plan.count)) {
                group.addTask {
                    while let item = await queue.take() {
                        // No LINE request is spent on a download there is no room for.
                        guard await space.mayStart(nextBytes: item.fileSize ?? 0) else {
                            await tally.finish(.leftForSpace)
                            continue
                        }
                        let outcome = await download(item, ledger: ledger, gate: gates[item.channel]!, tally: tally, space: space)
                        if case .downloaded(let bytes) = outcome {
                            await space.settle(item.id, staged: bytes)
                        } else {
                            await space.settle(item.id, staged: nil)
                        }
                        await tally.finish(outcome)
                    }
                }
            }
        }
        report.merge(await tally.counts)
        report.stoppedForDiskSpace = await space.stopped
        if report.stoppedForDiskSpace {
            let staged = await space.stagedBytes
            logger.error("downloads stopped: the disk is too full to pack more than is staged", metadata: [
                "staged_bytes": "\(staged)", "reserve_bytes": "\(settings.diskReserveBytes)",
                "left": "\(report.leftForDiskSpace)",
            ])
        }
        logger.notice("sweep downloads done", metadata: [
            "planned": "\(report.planned)", "downloaded": "\(report.downloaded)", "bytes": "\(report.bytes)",
            "retried": "\(report.retried)", "left": "\(report.leftForNextRun + report.waitingTranscode)",
            "lost": "\(report.lost.values.reduce(0, +))", "unsent": "\(report.unsent)",
        ])
        if let markAsRead {
            let receipts = try await ledger.sendReceipts(markAsRead, clock: clock)
            report.receiptsSent = receipts.sent
            report.receiptsFailed = receipts.failed
            report.receiptsRefused = receipts.refused
        }
        if options.pack {
            let packed = try await ledger.pack(settings: settings.pack, clock: clock, disk: disk)
            report.packedRecords = packed.records
            report.packedContent = packed.contentEntries
            report.unpackedForDiskSpace = packed.leftForSpace.count
            report.segments = packed.segments.map { settings.pack.archiveDir + "/" + $0 }
        }
        report.stagedBytes = try await ledger.stagedBytes()
        report.diskAvailableBytes = disk.availableBytes(at: settings.stagingDir)
        return try await Self.finish(report, ledger: ledger, settings: settings, clock: clock, started: started)
    }

    /// Due items, earliest deadline first (or FIFO, to measure against), narrowed by `options`.
    private static func planned(_ ledger: SweepLedger, settings: SweepSettings, options: SweepOptions) async throws -> [DueContent] {
        var plan = try await ledger.due(limit: nil, kinds: options.kinds, until: options.until)
        if settings.order == .fifo { plan.sort { ($0.sentAt.milliseconds, $0.id) < ($1.sentAt.milliseconds, $1.id) } }
        if let limit = options.limit { plan = Array(plan.prefix(limit)) }
        return plan
    }

    private static func finish(_ report: SweepReport, ledger: SweepLedger, settings: SweepSettings, clock: any WallClock,
                               started: UInt64) async throws -> SweepReport {
        var report = report
        let status = try await ledger.status(now: clock.now(), timeZone: settings.timeZone)
        report.atRisk = status.atRisk.count
        report.overdue = status.atRisk.overdue
        report.nextDeadline = status.nextDeadlines.first?.deadline
        report.seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        return report
    }

    /// In auto mode (forced, or LINE's `markAsReadMode`), messages nobody marked count as read
    /// on arrival; `serve` does it as they come, this catches up on the rest.
    private func applyReadMode(_ ledger: SweepLedger) async throws {
        guard !settings.channels.isEmpty else {
            var auto = settings.readMode == .auto
            if settings.readMode == .line, let botInfo = settings.botInfo { auto = await botInfo.markAsReadMode() == "auto" }
            if auto { try await ledger.markAutoRead() }
            return
        }
        for channel in settings.channels {
            var auto = channel.readMode == .auto
            if channel.readMode == .line, let botInfo = channel.botInfo { auto = await botInfo.markAsReadMode() == "auto" }
            if auto { try await ledger.markAutoRead(channel: channel.name) }
        }
    }

    /// Removes partial downloads, and complete ones the ledger never recorded (a sweep died
    /// between the two): those are downloaded again.
    private func cleanStaging(_ ledger: SweepLedger) async throws {
        try? FileManager.default.createDirectory(atPath: settings.stagingDir, withIntermediateDirectories: true)
        let keep = try await ledger.downloadedIds().map(Self.stagedName)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: settings.stagingDir)) ?? [] where !keep.contains(name) {
            unlink(settings.stagingDir + "/" + name)
        }
    }

    static func stagedName(_ id: String) -> String {
        (SafeName.make(id) ?? "message") + "-" + String(id.utf8.reduce(UInt32(2166136261)) { ($0 ^ UInt32($1)) &* 16777619 }, radix: 16)
    }

    /// One item to its end for this run: saved, lost, unsent, or left for the next run.
    private func download(_ item: DueContent, ledger: SweepLedger, gate: RateGate, tally: Tally, space: DiskGuard) async -> ItemOutcome {
        let final = settings.stagingDir + "/" + Self.stagedName(item.id)
        // The ledger records it relative to the data dir, so a moved or copied data dir keeps it.
        guard let recorded = DataDir(settings.pack.dataDir).relative(final) else { return .left("the staging dir is outside the data dir") }
        let part = final + ".part"
        let external = item.provider == "external" ? item.url : nil
        guard let client = clients[item.channel] else {
            return .left("no access token for channel \(item.channel) (\(settings.tokenHints[item.channel] ?? ChannelName.tokenHint(item.channel)))")
        }
        var failures = 0, throttles = 0
        let transcodeStarted = waiting.elapsedMilliseconds()
        var polls = 0
        do {
            while true {
                try await gate.acquire()
                // Room is taken once LINE says how large the body is, before a byte is written.
                let (id, known) = (item.id, item.fileSize)
                let outcome = await client.download(id: item.id, externalURL: external, to: part) { length in
                    await space.reserve(id, bytes: length ?? known ?? 0)
                }
                switch outcome {
                case .saved(let size, let sha, let type):
                    guard rename(part, final) == 0 else { unlink(part); return .left("cannot move the download into place") }
                    try await ledger.recordDownload(id: item.id, file: recorded, size: size, sha256: sha, contentType: type, at: clock.now())
                    return .downloaded(bytes: size)
                case .processing:
                    unlink(part)
                    // Poll the transcoding status with backoff, within this run's patience.
                    while true {
                        let waited = Double(waiting.elapsedMilliseconds() - transcodeStarted) / 1000
                        guard waited < settings.transcodeWaitSeconds else { return .waitingTranscode }
                        try await waiting.sleep(milliseconds: Backoff.milliseconds(attempt: polls, baseMilliseconds: 200, capMilliseconds: 5_000, jitter: .random(in: 0..<1)))
                        polls += 1
                        let status = try await transcodingStatus(item.id, gate: gate, client: client)
                        if status == "succeeded" { break }
                        if status == "failed" {
                            return try await ledger.markLost(id: item.id, reason: .transcodingFailed, at: clock.now(), detail: "LINE reported transcoding failed")
                                ? .lost(.transcodingFailed) : .left("changed meanwhile")
                        }
                    }
                case .notFound:
                    unlink(part)
                    let now = clock.now()
                    var reason: LossReason = external != nil ? .externalUnavailable : (now.milliseconds >= item.deadline.milliseconds ? .expired : .notFound)
                    // A video or audio LINE failed to transcode is a 404 too; its status says which.
                    if reason == .notFound, item.kind == .video || item.kind == .audio {
                        if try await transcodingStatus(item.id, gate: gate, client: client) == "failed" { reason = .transcodingFailed }
                    }
                    return try await ledger.markLost(id: item.id, reason: reason, at: now, detail: "404 from \(external != nil ? "the external URL" : "the content API")")
                        ? .lost(reason) : .left("changed meanwhile")
                case .gone where external != nil:
                    // An external host's 410 says nothing of an unsend: only LINE's does.
                    unlink(part)
                    return try await ledger.markLost(id: item.id, reason: .externalUnavailable, at: clock.now(), detail: "410 from the external URL")
                        ? .lost(.externalUnavailable) : .left("changed meanwhile")
                case .gone:
                    unlink(part)
                    switch try await ledger.markGone(id: item.id, at: clock.now()) {
                    case .unsent?: return .unsent
                    case .lost(let reason)?: return .lost(reason)
                    default: return .left("changed meanwhile")
                    }
                case .rateLimited(let retryAfter):
                    unlink(part)
                    throttles += 1
                    await tally.retried()
                    let fallback = Backoff.milliseconds(attempt: throttles, baseMilliseconds: settings.backoffBaseMilliseconds,
                                                        capMilliseconds: settings.backoffCapMilliseconds, jitter: .random(in: 0..<1))
                    await gate.throttled(retryAfterSeconds: retryAfter, fallbackMilliseconds: fallback)
                    if throttles > settings.maxAttempts * 4 { return .left("rate limited \(throttles) times") }
                case .failed(let reason):
                    unlink(part)
                    failures += 1
                    try await ledger.noteAttempt(id: item.id, at: clock.now(), detail: reason)
                    guard failures < settings.maxAttempts else {
                        logger.warning("download left for the next run", metadata: ["message_id": "\(item.id)", "reason": "\(reason)"])
                        return .left(reason)
                    }
                    await tally.retried()
                    try await waiting.sleep(milliseconds: Backoff.milliseconds(attempt: failures - 1, baseMilliseconds: settings.backoffBaseMilliseconds,
                                                                               capMilliseconds: settings.backoffCapMilliseconds, jitter: .random(in: 0..<1)))
                case .diskFull(let bytes):
                    // The local disk, not LINE: asking LINE again cannot help.
                    unlink(part)
                    await space.full()
                    logger.error("the disk is full: downloads stopped", metadata: ["message_id": "\(item.id)", "after_bytes": "\(bytes)"])
                    return .leftForSpace
                case .noRoom(let length):
                    unlink(part)
                    logger.error("no room on the disk for this download: downloads stopped", metadata: [
                        "message_id": "\(item.id)", "content_length": "\(length.map(String.init) ?? "unknown")",
                    ])
                    return .leftForSpace
                case .writeFailed(let reason):
                    unlink(part)
                    logger.error("cannot write the download", metadata: ["message_id": "\(item.id)", "reason": "\(reason)"])
                    return .left(reason)
                case .refused(let code):
                    unlink(part)
                    logger.error("content API refused the request", metadata: ["message_id": "\(item.id)", "status": "\(code)"])
                    return .left("HTTP \(code)")
                }
            }
        } catch {
            unlink(part)
            return .left("\(error)")
        }
    }
}

extension Sweeper {
    /// The transcoding status, asked again (with backoff) while the answer is a fault.
    func transcodingStatus(_ id: String, gate: RateGate, client: ContentClient) async throws -> String? {
        for attempt in 0..<settings.maxAttempts {
            try await gate.acquire()
            if let status = await client.transcodingStatus(id: id) { return status }
            try await waiting.sleep(milliseconds: Backoff.milliseconds(attempt: attempt, baseMilliseconds: settings.backoffBaseMilliseconds,
                                                                       capMilliseconds: settings.backoffCapMilliseconds, jitter: .random(in: 0..<1)))
        }
        return nil
    }
}

/// Why a sweep could not start.
public enum SweepError: Error, CustomStringConvertible {
    /// Staged downloads are recorded relative to the data dir, so they must be inside it.
    case stagingOutsideDataDir(stagingDir: String, dataDir: String)

    public var description: String {
        switch self {
        case .stagingOutsideDataDir(let staging, let data): return "the staging dir \(staging) is not inside the data dir \(data)"
        }
    }
}

enum ItemOutcome: Sendable {
    case downloaded(bytes: Int64)
    case lost(LossReason)
    case unsent
    case waitingTranscode
    case left(String)
    /// Not downloaded, or not kept, for lack of disk space.
    case leftForSpace
}
