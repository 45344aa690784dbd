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
        /// An archived file's message id, for the summary's restore example.
        public var sampleContentId: String?
        /// What the staff read with mark-read, and what LINE heard of it.
        public var reading: Reading
        /// A complete week with read messages (its export's rows) and unread ones, to export.
        public var exportWeek: ExportWeek?
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
        let simulatorConfig = SimulatorConfig(
            seed: settings.seed, windows: RetentionPolicy.defaultWindows, transcodeSeconds: 2, transcodeFailureRate: 0.1,
            sizes: [.image: .init(min: 20_000, max: 600_000), .video: .init(min: 200_000, max: 3_000_000),
                    .audio: .init(min: 20_000, max: 400_000), .file: .init(min: 2_000, max: 800_000)],
            faults: Self.faults)
        let simulator = try await SimulatorServer.start(config: simulatorConfig, logger: quiet("line-simulator"))
        say("LINE simulator on \(simulator.baseURL) (faults on: 12% 5xx, 6% cut bodies, 429 above 60 requests/s)")

        let ledgerPath = dir + "/ledger.sqlite3"
        let server = ServerSettings(host: "127.0.0.1", port: 0, channelSecret: simulatorConfig.channelSecret, ledgerPath: ledgerPath,
                                    policy: settings.policy, timeZone: settings.timeZone,
                                    profiles: .init(apiBaseURL: simulator.baseURL, accessToken: simulatorConfig.accessToken, interval: .milliseconds(200)))
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
        say("talkvault serve on http://127.0.0.1:\(port)/webhook")

        let plan = TrafficGenerator.plan(TrafficConfig(seed: settings.seed, messages: settings.messages, end: SystemClock().now(),
                                                       period: .days(21), externalBaseURL: simulator.baseURL), simulator: simulatorConfig)
        let groundTruth = dir + "/ground-truth.jsonl"
        try plan.writeGroundTruth(to: groundTruth, simulator: simulatorConfig)
        say("sending \(plan.messages.count) messages from the last 21 days in \(plan.deliveries.count) signed webhooks (some redelivered)...")
        let sender = WebhookSender(target: "http://127.0.0.1:\(port)/webhook", channelSecret: simulatorConfig.channelSecret,
                                   registry: simulator.state, redeliveryRate: 0.1, concurrency: 8, seed: settings.seed)
        let sent = try await sender.send(plan)
        // Let the profile fetcher put names on a few senders, then stop the receiver cleanly.
        try await Task.sleep(for: .milliseconds(600))
        await group.triggerGracefulShutdown()
        _ = await serving.result
        // What the receiver acknowledged but had not applied when it stopped is applied, as
        // every command that writes does first.
        try InboxApplier(try Ledger(path: ledgerPath, policy: settings.policy, access: .readWrite(create: false))).applyAll()

        var sweeps: [SweepReport] = []
        let sweeper = Sweeper(
            settings: SweepSettings(ledgerPath: ledgerPath, policy: settings.policy, timeZone: settings.timeZone, stagingDir: dir + "/staging",
                                    pack: settings.pack, concurrency: 6, rateLimit: 100, burst: 20, maxAttempts: 4,
                                    backoffBaseMilliseconds: 100, backoffCapMilliseconds: 2_000, transcodeWaitSeconds: 4),
            client: ContentClient(dataAPIBaseURL: simulator.baseURL, accessToken: simulatorConfig.accessToken, timeout: .seconds(30)),
            clock: SystemClock(), logger: quiet("talkvault.sweep"))
        for round in 1...2 {
            say("sweep \(round): downloading due content, earliest deadline first...")
            sweeps.append(try await sweeper.run(SweepOptions()))
            if sweeps.last!.leftForNextRun + sweeps.last!.waitingTranscode == 0 { break }
        }
        // Staff read part of the traffic, as `talkvault mark-read --chat … --until …` with an
        // access token does; the rest stays unread, as it would in the OA Manager. After the
        // sweeps: the calls share LINE's rate limit with the downloads.
        let markAsRead = MarkAsReadClient(apiBaseURL: simulator.baseURL, accessToken: simulatorConfig.accessToken)
        let read = try await DemoReading(ledgerPath: ledgerPath, policy: settings.policy, client: markAsRead).run(clock: SystemClock())
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
        let unread = try stores.exports.unreadCounts(start: Instant(milliseconds: 0), end: Instant(milliseconds: .max),
                                                    readBy: SystemClock().now(), channel: ChannelName.implicit).values.reduce(0, +)
        let reading = Reading(chatsRead: read.chatsRead, chats: read.chats, messagesRead: read.messagesRead,
                              messagesUnread: unread, receiptsQueued: read.receiptsQueued,
                              receiptsSent: read.receipts.sent, receiptsPending: read.receipts.failed)
        let week = try DemoReading.weekToExport(ledgerPath: ledgerPath, policy: settings.policy, timeZone: settings.timeZone,
                                                now: SystemClock().now())
        return Outcome(sent: sent, sweeps: sweeps, status: status, segments: segments, simulatorFaults: Self.faults, groundTruth: groundTruth,
                       sampleContentId: sample, reading: reading,
                       exportWeek: week.map { ExportWeek(week: $0.week.description, rows: $0.rows, unread: $0.unread) })
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
    public var description: String { "the webhook receiver did not start" }
}
