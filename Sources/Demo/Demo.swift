import Foundation
import LINEClient
import LINESimulator
import Intake
import Ledger
import Store
import Logging
import ServiceLifecycle
import Packing
import Server
import Sweep
import TalkVaultDomain

/// `talkvault demo`: the whole product in one process, against the simulator. A few weeks of
/// backdated traffic reach `serve` over HTTP with faults switched on; sweeps download what LINE
/// still serves and pack it; the summary says what was kept, what was lost and why.
public struct Demo: Sendable {
    public struct Settings: Sendable {
        public var directory: String
        public var messages: Int
        public var seed: UInt64
        public var policy: RetentionPolicy
        public var timeZone: TimeZone
        public var pack: PackSettings

        public init(directory: String, messages: Int, seed: UInt64, policy: RetentionPolicy, timeZone: TimeZone, pack: PackSettings) {
            self.directory = directory
            self.messages = messages
            self.seed = seed
            self.policy = policy
            self.timeZone = timeZone
            self.pack = pack
        }
    }

    /// What the demo did, for the summary.
    public struct Outcome: Sendable {
        public var sent: WebhookSender.Report
        public var sweeps: [SweepReport]
        public var status: StatusReport
        public var segments: [String]
        public var simulatorFaults: FaultConfig
        public var groundTruth: String
        /// Each account's OA Manager chat backup of the same traffic, for `talkvault import`.
        public var backups: [String]
        /// An archived file's message id, for the summary's restore example.
        public var sampleContentId: String?
        /// What the staff read with mark-read, and what LINE heard of it.
        public var reading: Reading
        /// A complete week with read messages (its export's rows) and unread ones, to export.
        public var exportWeek: ExportWeek?
        /// Each Official Account's traffic and where it was posted.
        public var channels: [ChannelTraffic]
    }

    /// One Official Account's share of the traffic.
    public struct ChannelTraffic: Sendable {
        public var name: String
        /// The path its webhooks were posted to.
        public var path: String
        /// True when that path is the shared one, routed by the body's `destination`.
        public var shared: Bool
        public var messages: Int
    }

    /// Staff reading part of the traffic through mark-read.
    public struct Reading: Sendable {
        public var chatsRead: Int
        public var chats: Int
        public var messagesRead: Int
        public var messagesUnread: Int
        /// markAsRead calls the reads owe LINE, those LINE acknowledged, and those still owed
        /// (the simulator's 429s and 5xx), which the next sweep sends.
        public var receiptsQueued: Int
        public var receiptsSent: Int
        public var receiptsPending: Int
    }

    /// The week the summary suggests exporting.
    public struct ExportWeek: Sendable {
        public var week: String
        /// Messages of the week read by now: the export's rows.
        public var rows: Int
        /// Messages of the week nobody read: left out, and counted in the manifest.
        public var unread: Int
    }

    let settings: Settings
    let logger: Logger

    public init(settings: Settings, logger: Logger) {
        self.settings = settings
        self.logger = logger
    }

    /// Faults the demo switches on: a fifth of content requests fail or are cut, and the
    /// simulator rate-limits with 429.
    public static let faults = FaultConfig(rateLimit: 60, rateBurst: 15, retryAfterSeconds: 1, errorRate: 0.12, truncateRate: 0.06)

    public func run(say: @Sendable (String) -> Void) async throws -> Outcome {
        let dir = settings.directory
        var simulatorConfig = SimulatorConfig(
            seed: settings.seed, windows: RetentionPolicy.defaultWindows, transcodeSeconds: 2, transcodeFailureRate: 0.1,
            sizes: [.image: .init(min: 20_000, max: 600_000), .video: .init(min: 200_000, max: 3_000_000),
                    .audio: .init(min: 20_000, max: 400_000), .file: .init(min: 2_000, max: 800_000)],
            faults: Self.faults)
        simulatorConfig.channels = DemoChannels.accounts
        let simulator = try await SimulatorServer.start(config: simulatorConfig, logger: quiet("line-simulator"))
        let names = DemoChannels.accounts.map(\.name).joined(separator: " and ")
        say("LINE simulator on \(simulator.baseURL), serving two Official Accounts, \(names) "
            + "(faults on: 12% 5xx, 6% cut bodies, 429 above 60 requests/s per account)")

        let ledgerPath = dir + "/ledger.sqlite3"
        let channels = DemoChannels(apiBaseURL: simulator.baseURL)
        var server = ServerSettings(host: "127.0.0.1", port: 0, channelSecret: "", ledgerPath: ledgerPath,
                                    policy: settings.policy, timeZone: settings.timeZone, profiles: channels.profiles)
        server.channels = channels.receiving
        server.sharedWebhookPath = DemoChannels.sharedPath
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = try WebhookServer.buildApplication(settings: server, clock: SystemClock(), logger: quiet("talkvault.serve")) {
            continuation.yield($0)
            continuation.finish()
        }
        // Run as `serve` runs it: in a service group, stopped with a graceful shutdown.
        let group = ServiceGroup(configuration: .init(services: [app], logger: quiet("talkvault.serve")))
        let serving = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            await group.triggerGracefulShutdown()
            _ = await serving.result
            throw DemoError.serveDidNotStart
        }
        let base = "http://127.0.0.1:\(port)"
        say("talkvault serve on \(base): " + DemoChannels.accounts.map { "\($0.name) on \($0.name == DemoChannels.accounts.last?.name ? "the shared " : "")"
            + DemoChannels.postPath(of: $0) }.joined(separator: ", "))

        let end = SystemClock().now()
        let plans = zip(DemoChannels.accounts, DemoChannels.split(settings.messages)).filter { $0.1 > 0 }.map { account, messages in
            (account, TrafficGenerator.plan(TrafficConfig(seed: settings.seed, messages: messages, end: end, period: .days(21),
                                                          externalBaseURL: simulator.baseURL, channel: account), simulator: simulatorConfig))
        }
        let groundTruth = dir + "/ground-truth.jsonl"
        try TrafficPlan.writeGroundTruth(of: plans.map(\.1), to: groundTruth, simulator: simulatorConfig)
        // What staff would download from the OA Manager for each account: its chats as LINE's
        // backup has them, with the replies no webhook carries, for `talkvault import`.
        var backups: [String] = []
        for (account, plan) in plans {
            let files = SimulatedBackup.files(of: plan, seed: settings.seed, accountName: "デモ店 \(account.name)", downloadedAt: end)
            let path = dir + "/oa-backup-\(account.name).zip"
            try SimulatedBackup.writeZip(files, to: path)
            try SimulatedBackup.writeTruth(files, to: dir + "/oa-backup-\(account.name).truth.jsonl")
            backups.append(path)
        }
        let senders = plans.map { account, _ in
            WebhookSender(target: base + DemoChannels.postPath(of: account), channel: account, registry: simulator.state,
                          redeliveryRate: 0.1, concurrency: 8, seed: settings.seed)
        }
        for (sender, (account, _)) in zip(senders, plans) where DemoChannels.postPath(of: account) == DemoChannels.sharedPath {
            try await DemoChannels.waitUntilRouted(account, sender: sender)
        }
        say("sending \(plans.reduce(0) { $0 + $1.1.messages.count }) messages from the last 21 days in "
            + "\(plans.reduce(0) { $0 + $1.1.deliveries.count }) signed webhooks, both accounts at once (some redelivered)...")
        let sent = try await withThrowingTaskGroup(of: WebhookSender.Report.self) { group in
            for (sender, (_, plan)) in zip(senders, plans) { group.addTask { try await sender.send(plan) } }
            return try await group.reduce(into: WebhookSender.Report()) { $0.add($1) }
        }
        // Let the profile fetcher put names on a few senders, then stop the receiver cleanly.
        try await Task.sleep(for: .milliseconds(600))
        await group.triggerGracefulShutdown()
        _ = await serving.result
        // What the receiver acknowledged but had not applied when it stopped is applied, as
        // every command that writes does first.
        try InboxApplier(try Ledger(path: ledgerPath, policy: settings.policy, access: .readWrite(create: false))).applyAll()

        var sweeps: [SweepReport] = []
        var sweepSettings = SweepSettings(ledgerPath: ledgerPath, policy: settings.policy, timeZone: settings.timeZone, stagingDir: dir + "/staging",
                                    pack: settings.pack, concurrency: 6, rateLimit: 100, burst: 20, maxAttempts: 4,
                                    backoffBaseMilliseconds: 100, backoffCapMilliseconds: 2_000, transcodeWaitSeconds: 4)
        sweepSettings.channels = DemoChannels.accounts.map { SweepChannel(name: $0.name, readMode: .manual, botInfo: nil) }
        // Each account's downloads use its own token, under its own rate limit.
        let sweeper = Sweeper(settings: sweepSettings, clients: channels.contentClients, markAsRead: channels.markAsReadClients,
                              clock: SystemClock(), logger: quiet("talkvault.sweep"))
        for round in 1...2 {
            say("sweep \(round): downloading due content, earliest deadline first...")
            sweeps.append(try await sweeper.run(SweepOptions()))
            if sweeps.last!.leftForNextRun + sweeps.last!.waitingTranscode == 0 { break }
        }
        // Staff read part of the traffic, as `talkvault mark-read --chat … --until …` with an
        // access token does; the rest stays unread, as it would in the OA Manager. After the
        // sweeps: the calls share LINE's rate limit with the downloads.
        let read = try await DemoReading(ledgerPath: ledgerPath, policy: settings.policy, clients: channels.markAsReadClients)
            .run(clock: SystemClock())
        say("staff read \(read.messagesRead) messages in \(read.chatsRead) of \(read.chats) chats with mark-read, which tells LINE (markAsRead)")
        await simulator.stop()
        // Read-write, though it only reads: the last connection to close checkpoints the WAL away,
        // so the demo dir is left without a stray -wal file.
        let stores = try Ledger(path: ledgerPath, policy: settings.policy, access: .readWrite(create: false)).stores
        let status = try stores.status.status(now: SystemClock().now(), timeZone: settings.timeZone)
        let segments = try stores.archiveIndex.allSegments().map { settings.pack.archiveDir + "/" + $0.path }
        var sample: String?
        try stores.archiveIndex.archivedItems { item in
            if item.part == .content, sample.map({ item.messageId < $0 }) ?? true { sample = item.messageId }
        }
        let unread = try DemoChannels.accounts.reduce(0) { total, account in
            try total + stores.exports.unreadCounts(start: Instant(milliseconds: 0), end: Instant(milliseconds: .max),
                                                    readBy: SystemClock().now(), channel: account.name).values.reduce(0, +)
        }
        let reading = Reading(chatsRead: read.chatsRead, chats: read.chats, messagesRead: read.messagesRead,
                              messagesUnread: unread, receiptsQueued: read.receiptsQueued,
                              receiptsSent: read.receipts.sent, receiptsPending: read.receipts.failed)
        let week = try DemoReading.weekToExport(ledgerPath: ledgerPath, policy: settings.policy, timeZone: settings.timeZone,
                                                now: SystemClock().now())
        return Outcome(sent: sent, sweeps: sweeps, status: status, segments: segments, simulatorFaults: Self.faults, groundTruth: groundTruth,
                       backups: backups,
                       sampleContentId: sample, reading: reading,
                       exportWeek: week.map { ExportWeek(week: $0.week.description, rows: $0.rows, unread: $0.unread) },
                       channels: plans.map { account, plan in
                           ChannelTraffic(name: account.name, path: DemoChannels.postPath(of: account),
                                          shared: DemoChannels.postPath(of: account) == DemoChannels.sharedPath, messages: plan.messages.count)
                       })
    }

    private func quiet(_ label: String) -> Logger {
        // The demo talks to the newcomer itself: the servers' own lines (listening, applied
        // batches) would only interleave with its story. Warnings and errors still show.
        var logger = Logger(label: label)
        logger.logLevel = .warning
        return logger
    }
}

public enum DemoError: Error, CustomStringConvertible {
    case serveDidNotStart
    /// The shared path never accepted the channel's bodies: its destination was not learned.
    case notRouted(String)

    public var description: String {
        switch self {
        case .serveDidNotStart: "the webhook receiver did not start"
        case .notRouted(let channel): "the webhook receiver did not learn \(channel)'s bot user id from /v2/bot/info"
        }
    }
}
