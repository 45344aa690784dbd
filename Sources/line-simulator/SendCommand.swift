import ArgumentParser
import Foundation
import LINESimulator
import TalkVaultDomain

struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Generate realistic webhook traffic, sign it, and POST it to a receiver.",
        discussion: """
        Each message is registered with the simulator at --simulator before its webhook is sent,
        so the simulator can serve its content. A request the receiver does not answer 2xx is
        redelivered with isRedelivery: true and the same webhookEventId, up to --max-attempts.
        Prints a JSON report; --ground-truth writes one JSON line per generated message
        (id, kind, chat_id, timestamp, expires_at, size, sha256, unsent, file_name,
        transcode, channel).
        With --channel NAME the traffic is that channel's: signed with
        simulator-channel-secret-NAME (unless --channel-secret is given), its bot
        user id as every body's destination, its messages registered under it, and
        ids that no other channel's traffic shares.
        --backup ZIP writes the Official Account Manager's chat backup of the same traffic: one
        CSV per 1:1 chat in LINE's layout, with the account's replies (auto-reply and staff),
        which no webhook carries; --backup-truth writes each of its rows as a JSON line (file,
        line, sender, sender_name, sent_at, content, message_id).
        """)

    @Option(help: "The webhook URL to POST to.") var target: String
    @Option(help: "The simulator's base URL, to register messages and serve external content.") var simulator: String
    @Option(help: ArgumentHelp("The channel (started with `serve --channel NAME`) the traffic is sent to; default the default channel.", valueName: "name"))
    var channel: String?
    @Option(help: "The channel secret to sign with (default the channel's: \(SimulatorConfig.defaultChannelSecret), or simulator-channel-secret-NAME with --channel).")
    var channelSecret: String?
    @Option(help: "Seed for traffic; the simulator's --seed decides content bytes.") var seed: UInt64 = 1
    @Option(help: "The simulator's --seed, for the ground truth's SHA-256 values.") var contentSeed: UInt64 = 1
    @Option(help: "The simulator's --transcode-failure-rate, for the ground truth's transcode outcomes.") var transcodeFailureRate = 0.0
    @Option(help: "Message events to generate.") var messages = 100
    @Option(help: "Spread timestamps over this period before --end, e.g. 21d.") var period = "21d"
    @Option(help: "The latest timestamp (RFC 3339); default now.") var end: String?
    @Option(help: "Users, groups and rooms to spread messages over.") var users = 12
    @Option var groups = 3
    @Option var rooms = 1
    @Option(help: "Share of accepted requests redelivered anyway.") var redeliveryRate = 0.0
    @Option(help: "Attempts per request before giving up.") var maxAttempts = 5
    @Option(help: "Requests in flight at once.") var concurrency = 1
    @Option(help: "Most events in one request.") var maxBatch = 4
    @Option(help: "Share of requests that overtake the previous one.") var outOfOrderRate = 0.1
    @Option(help: "Share of messages later unsent.") var unsendRate = 0.04
    @Option(help: "Share of group and room texts later edited.") var editRate = 0.1
    @Option(help: "Write the ground truth JSONL here.") var groundTruth: String?
    @Option(help: "Write the OA Manager's chat backup of the traffic here, a zip.") var backup: String?
    @Option(help: "With --backup: write each backup row as a JSON line here.") var backupTruth: String?
    @Option(help: "With --backup: the account name its files give.") var accountName = "TalkVault テスト店"
    @Option(name: .customLong("size"), help: ArgumentHelp("Content sizes as KIND=MIN-MAX in bytes (log-uniform); repeatable. The plan decides each message's size, so give the same to serve.", valueName: "kind=min-max"))
    var sizes: [String] = []

    func validate() throws {
        _ = try periodDuration()
        if let end, Instant(rfc3339: end) == nil { throw ValidationError("--end is not RFC 3339") }
        if backupTruth != nil && backup == nil { throw ValidationError("--backup-truth goes with --backup") }
        _ = try KindSpec.sizes(sizes)
        guard (0...1).contains(transcodeFailureRate) else { throw ValidationError("--transcode-failure-rate is from 0 to 1") }
        if let channel { try ChannelName.check(channel) }
    }

    func run() async throws {
        let endInstant = end.flatMap { Instant(rfc3339: $0) } ?? SystemClock().now()
        var sendTo = channel.map(SimulatedChannel.named) ?? .defaultChannel
        if let channelSecret { sendTo.channelSecret = channelSecret }
        let traffic = TrafficConfig(seed: seed, messages: messages, end: endInstant, period: try periodDuration(), users: users,
                                    groups: groups, rooms: rooms, unsendRate: unsendRate, editRate: editRate,
                                    maxBatch: maxBatch, outOfOrderRate: outOfOrderRate, externalBaseURL: simulator, channel: sendTo)
        var sizeMap = SimulatorConfig.defaultSizes
        for (kind, range) in try KindSpec.sizes(sizes) { sizeMap[kind] = range }
        let simulatorConfig = SimulatorConfig(seed: contentSeed, transcodeFailureRate: transcodeFailureRate, sizes: sizeMap)
        let plan = TrafficGenerator.plan(traffic, simulator: simulatorConfig)
        let sender = WebhookSender(target: target, channel: sendTo, registry: RemoteRegistry(baseURL: simulator),
                                   redeliveryRate: redeliveryRate, maxAttempts: maxAttempts, concurrency: concurrency, seed: seed)
        let report = try await sender.send(plan)
        if let groundTruth { try plan.writeGroundTruth(to: groundTruth, simulator: simulatorConfig) }
        if let backup {
            let files = SimulatedBackup.files(of: plan, seed: seed, accountName: accountName, downloadedAt: endInstant)
            try SimulatedBackup.writeZip(files, to: backup)
            if let backupTruth { try SimulatedBackup.writeTruth(files, to: backupTruth) }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        print(String(decoding: try encoder.encode(report), as: UTF8.self))
        if report.gaveUp > 0 { throw ExitCode(2) }
    }

    func periodDuration() throws -> RetentionDuration {
        guard let duration = try? RetentionDuration(parsing: period), duration.seconds > 0 else {
            throw ValidationError("--period: bad duration")
        }
        return duration
    }
}
