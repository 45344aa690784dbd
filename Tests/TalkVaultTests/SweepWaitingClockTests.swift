import Intake
import Foundation
@testable import LINESimulator
import Ledger
import Store
@testable import Sweep
import TalkVaultDomain
import Testing

/// `TALKVAULT_NOW` fixes the wall clock. The rate limit, 429 pauses, backoff and transcode
/// patience wait on the waiting clock, so a sweep under a fixed "now" still ends.
@Suite struct SweepWaitingClockTests {
    static let fixedNow = FixedClock(SystemClock().now())

    @Test func aSweepUnderAFixedWallClockWithMoreDueThanTheBurstFinishes() async throws {
        let h = try await SweepHarness.start(messages: 60, transcodeFailureRate: 0)
        let sweeper = h.sweeper(concurrency: 2, rate: 5, burst: 2, clock: Self.fixedNow, waiting: InstantWaitingClock())
        let report = try await withHangGuard(seconds: 300, "a sweep under a fixed wall clock") {
            try await sweeper.run(SweepOptions())
        }
        if let report {
            #expect(report.planned > 2 && report.downloaded > 2, "\(report)")
            #expect(report.leftForNextRun == 0, "\(report)")
        }
        await h.simulator.stop()
    }

    @Test func aSweepUnderAFixedWallClockThatMeetsA429Finishes() async throws {
        let faults = FaultConfig(rateLimit: 2, rateBurst: 2, retryAfterSeconds: 1)
        let h = try await SweepHarness.start(messages: 40, faults: faults, transcodeFailureRate: 0)
        let sweeper = h.sweeper(concurrency: 2, clock: Self.fixedNow, waiting: InstantWaitingClock())
        let report = try await withHangGuard(seconds: 300, "a sweep that met a 429 under a fixed wall clock") {
            try await sweeper.run(SweepOptions())
        }
        if let report {
            #expect(report.retried > 0, "\(report)")
            #expect(await h.simulator.state.stats().count("GET /v2/bot/message/{id}/content", 429) > 0)
        }
        await h.simulator.stop()
    }

    @Test func transcodePatienceEndsUnderAFixedWallClock() async throws {
        // Videos and audio answer 202 for an hour: the sweep's patience has to run out.
        let h = try await SweepHarness.start(messages: 60, transcodeFailureRate: 0, transcodeSeconds: 3_600)
        let sweeper = h.sweeper(concurrency: 2, clock: Self.fixedNow, waiting: InstantWaitingClock())
        let report = try await withHangGuard(seconds: 300, "a sweep waiting on transcodes under a fixed wall clock") {
            try await sweeper.run(SweepOptions())
        }
        if let report { #expect(report.waitingTranscode > 0, "\(report)") }
        await h.simulator.stop()
    }

    @Test func theBinaryWithTalkvaultNowAndTheBurstExceededFinishes() async throws {
        let dir = TempDir()
        let seed: UInt64 = 31
        let config = SimulatorConfig(seed: seed)
        let (simulator, url) = try SimulatorBinaryTests.start(["--seed", "\(seed)", "--transcode-seconds", "0",
                                                                "--size", "image=2000-20000", "--size", "video=10000-30000",
                                                                "--size", "audio=2000-20000", "--size", "file=500-20000"])
        defer { simulator.terminate() }
        let now = SystemClock().now()
        let plan = TrafficGenerator.plan(TrafficConfig(seed: seed, messages: 40, end: now, period: .days(5), externalBaseURL: url),
                                         simulator: config)
        let ledger = try Ledger.opened(path: dir.file("data/ledger.sqlite3"), policy: .lineDefaults)
        let registry = RemoteRegistry(baseURL: url)
        for delivery in plan.deliveries {
            try await registry.register(messages: delivery.registrations, unsends: delivery.unsends)
            _ = try Capturer(ledger: ledger, clock: SystemClock()).capture([plan.body(of: delivery)])
        }
        let due = try ledger.contentQueue.dueContent(limit: nil, kinds: [], until: nil).count
        #expect(due > 3)
        let yaml = try String(contentsOfFile: "\(Fixtures.packageRoot)/retention.yaml", encoding: .utf8)
            .replacingOccurrences(of: "https://api.line.me", with: url).replacingOccurrences(of: "https://api-data.line.me", with: url)
            .replacingOccurrences(of: "burst: 10", with: "burst: 1").replacingOccurrences(of: "rate_limit: 50", with: "rate_limit: 20")
        try yaml.write(toFile: dir.file("retention.yaml"), atomically: true, encoding: .utf8)
        let result = try run(CLITests.binary, ["sweep", "--json", "--data-dir", dir.file("data"), "--config", dir.file("retention.yaml")],
                             environment: ["TALKVAULT_ACCESS_TOKEN": config.accessToken, "TALKVAULT_NOW": now.description,
                                           "TALKVAULT_DATA_DIR": ""],
                             deadlineSeconds: 300)
        if let result {
            #expect([0, 3].contains(result.status), "\(result.stderr)")
            let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            #expect((json?["planned"] as? Int) == due)
            #expect((json?["downloaded"] as? Int ?? 0) > 1, "\(result.stdout)")
        }
    }
}
