import Foundation
import Intake
@testable import Ledger
import LedgerTestSupport
import LINEClient
@testable import LINESimulator
import Logging
import Packing
import SQLiteDB
@testable import Sweep
import Store
import TalkVaultDomain
import Testing
import TestSupport

/// A simulator with registered traffic, a ledger that captured it, and a sweeper between them.
public struct SweepHarness {
    public let dir: TempDir
    public let simulator: SimulatorServer
    public let plan: TrafficPlan
    public let config: SimulatorConfig
    public let ledgerPath: String

    public init(dir: TempDir, simulator: SimulatorServer, plan: TrafficPlan, config: SimulatorConfig, ledgerPath: String) {
        self.dir = dir
        self.simulator = simulator
        self.plan = plan
        self.config = config
        self.ledgerPath = ledgerPath
    }

    public static func start(messages: Int = 120, faults: FaultConfig = FaultConfig(), transcodeFailureRate: Double = 0.25,
                             transcodeSeconds: Double = 0, expiredStatus: Int = 404, seed: UInt64 = 11) async throws -> SweepHarness {
        let sizes: [MessageKind: SizeRange] = [.image: .init(min: 2_000, max: 40_000), .video: .init(min: 10_000, max: 80_000),
                                               .audio: .init(min: 2_000, max: 20_000), .file: .init(min: 500, max: 30_000)]
        let config = SimulatorConfig(seed: seed, transcodeSeconds: transcodeSeconds, transcodeFailureRate: transcodeFailureRate, sizes: sizes, faults: faults,
                                     expiredStatus: expiredStatus)
        let simulator = try await SimulatorServer.start(config: config)
        let plan = TrafficGenerator.plan(TrafficConfig(seed: seed, messages: messages, end: SystemClock().now(), period: .days(21),
                                                       externalBaseURL: simulator.baseURL), simulator: config)
        let dir = TempDir()
        let ledgerPath = dir.file("ledger.sqlite3")
        let ledger = try Ledger.opened(path: ledgerPath, policy: .lineDefaults)
        let capturer = Capturer(ledger: ledger, clock: SystemClock())
        for delivery in plan.deliveries {
            try await simulator.state.register(messages: delivery.registrations, unsends: delivery.unsends)
            _ = try capturer.capture([plan.body(of: delivery)])
        }
        return SweepHarness(dir: dir, simulator: simulator, plan: plan, config: config, ledgerPath: ledgerPath)
    }

    public func sweeper(concurrency: Int = 4, rate: Double = 500, burst: Double = 20, order: SweepOrder = .edf,
                        clock: any WallClock = SystemClock(), waiting: any WaitingClock = SystemWaitingClock(),
                        files: any DownloadFiles = LocalDownloadFiles(), disk: any DiskSpace = SystemDiskSpace(),
                        diskReserveBytes: Int64 = 256 << 20) -> Sweeper {
        let pack = PackSettings(dataDir: dir.path, archiveDir: dir.file("archive"), timeZone: TimeZone(identifier: "Asia/Tokyo")!,
                                segment: .init(toolVersion: "test"))
        var settings = SweepSettings(ledgerPath: ledgerPath, policy: .lineDefaults, timeZone: TimeZone(identifier: "Asia/Tokyo")!,
                                     stagingDir: dir.file("staging"), pack: pack, concurrency: concurrency, rateLimit: rate, burst: burst,
                                     maxAttempts: 6, backoffBaseMilliseconds: 10, backoffCapMilliseconds: 200, transcodeWaitSeconds: 5,
                                     order: order)
        settings.diskReserveBytes = diskReserveBytes
        return Sweeper(settings: settings, client: ContentClient(dataAPIBaseURL: simulator.baseURL, accessToken: config.accessToken,
                                                                 timeout: .seconds(10), files: files),
                       clock: clock, waiting: waiting, disk: disk, logger: Logger(label: "test"))
    }

    /// What each content message must have become, from the simulator's ground truth alone:
    /// a failed transcode is read there, never from the ledger or the simulator's internals.
    public func expected(at now: Int64) throws -> [String: (state: String, reason: String?, sha256: String?)] {
        let truthFile = dir.file("ground-truth.jsonl")
        try plan.writeGroundTruth(to: truthFile, simulator: config)
        var result: [String: (String, String?, String?)] = [:]
        for line in try String(contentsOfFile: truthFile, encoding: .utf8).split(separator: "\n") {
            let truth = try JSONDecoder().decode(GroundTruthRecord.self, from: Data(line.utf8))
            guard let sha = truth.sha256 else { continue }   // content kinds only
            if truth.unsent {
                result[truth.id] = ("unsent", nil, nil)
            } else if let expiry = truth.expiresAt, now >= expiry {
                result[truth.id] = ("lost", "expired", nil)
            } else if truth.transcode == "failed" {
                result[truth.id] = ("lost", "transcoding_failed", nil)
            } else {
                result[truth.id] = ("archived", nil, sha)
            }
        }
        return result
    }

    public func actual() throws -> [String: (state: String, reason: String?, sha256: String?)] {
        let ledger = try Ledger.opened(path: ledgerPath, policy: .lineDefaults, create: false)
        var result: [String: (String, String?, String?)] = [:]
        for row in try ledger.rows("SELECT id, state, reason, content_sha256 FROM messages WHERE kind IN ('image','video','audio','file')") {
            func text(_ i: Int) -> String? { if case .text(let v) = row[i].value { return v }; return nil }
            result[text(0)!] = (text(1)!, text(2), text(3))
        }
        return result
    }
}

extension SweepHarness {
    /// How many content downloads the simulator answered with `status`.
    public static func contentAnswers(_ stats: SimulatorState.Stats, status: Int) -> Int {
        stats.requests.filter { $0.key.contains("content") && !$0.key.contains("transcoding") && $0.key.hasSuffix(" \(status)") }
            .values.reduce(0, +)
    }
}
