import Intake
import Store
import Foundation
@testable import LINESimulator
import LINEClient
@testable import Ledger
import Logging
import Packing
import SQLiteDB
@testable import Sweep
import TalkVaultDomain
import Testing
import LedgerTestSupport
import SweepTestSupport
import TestSupport

@Suite struct SweepTests {
    @Test func faultsAndRetriesEndWithEverythingServedArchivedAndEveryLossExplained() async throws {
        let faults = FaultConfig(rateLimit: 150, rateBurst: 10, retryAfterSeconds: nil, errorRate: 0.2, truncateRate: 0.1)
        let h = try await SweepHarness.start(faults: faults)
        let first = try await h.sweeper().run(SweepOptions())
        #expect(first.retried > 0)
        // Whatever was left over the retry budget goes in the next run.
        let second = try await h.sweeper().run(SweepOptions())
        let now = await h.simulator.state.now()
        let expected = try h.expected(at: now), actual = try h.actual()
        #expect(expected.count > 20)
        for (id, want) in expected {
            let got = actual[id]
            #expect(got?.state == want.state && got?.reason == want.reason, "\(id): \(String(describing: got)) vs \(want)")
            if let sha = want.sha256 { #expect(got?.sha256 == sha, "\(id)") }
        }
        #expect(Set(expected.values.map(\.state)).isSuperset(of: ["archived", "lost"]))
        #expect(first.downloaded + second.downloaded == expected.values.filter { $0.state == "archived" }.count)
        // Archived content is byte-identical in the segments: verify --deep checks every SHA-256.
        let ledger = try Ledger.opened(path: h.ledgerPath, policy: .lineDefaults, create: false)
        let verify = try Verifier(archiveDir: h.dir.file("archive"), index: ledger.archiveIndex, deep: true).run()
        #expect(verify.ok, "\(verify.problems)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: h.dir.file("staging")).isEmpty)
        await h.simulator.stop()
    }

    @Test func dryRunPlansEarliestDeadlineFirstAndTouchesNothing() async throws {
        let h = try await SweepHarness.start(messages: 60)
        let report = try await h.sweeper().run(SweepOptions(dryRun: true, kinds: [.file, .image]))
        #expect(!report.plan.isEmpty)
        #expect(report.plan.allSatisfy { $0.kind == "file" || $0.kind == "image" })
        #expect(report.plan.map(\.secondsLeft) == report.plan.map(\.secondsLeft).sorted())
        #expect(report.downloaded == 0)
        #expect(try h.actual().values.allSatisfy { $0.state != "archived" && $0.state != "downloaded" })
        await h.simulator.stop()
    }
}

@Suite struct RateLimitTests {
    @Test func theBucketSpacesRequestsAndA429SlowsIt() {
        var bucket = TokenBucket(rate: 10, burst: 2, at: 0)
        #expect(bucket.take(at: 0) == nil)
        #expect(bucket.take(at: 0) == nil)
        #expect(bucket.take(at: 0) == 100)
        #expect(bucket.take(at: 100) == nil)
        bucket.throttled(at: 100, retryAfterSeconds: 2, fallbackMilliseconds: 50)
        #expect(bucket.rate == 5)
        #expect(bucket.take(at: 1100) == 1000)
        // Tokens refill during the pause, up to the burst, at the halved rate.
        #expect(bucket.take(at: 2100) == nil)
        #expect(bucket.take(at: 2100) == nil)
        #expect(bucket.take(at: 2100) == 200)
    }

    @Test func backoffGrowsAndIsCapped() {
        #expect(Backoff.milliseconds(attempt: 0, baseMilliseconds: 100, capMilliseconds: 1000, jitter: 0) == 50)
        #expect(Backoff.milliseconds(attempt: 3, baseMilliseconds: 100, capMilliseconds: 1000, jitter: 0) == 400)
        #expect(Backoff.milliseconds(attempt: 9, baseMilliseconds: 100, capMilliseconds: 1000, jitter: 0.999) < 1000)
    }
}

/// Simulated time that moves a fixed step each time anyone reads it: with one download at a
/// time, each request costs the same time, as under a tight rate limit, and the outcome does
/// not depend on how busy the machine is.
final class SteppingClock: WallClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Int64
    private let step: Int64

    init(start: Instant, stepMilliseconds: Int64) {
        current = start.milliseconds
        step = stepMilliseconds
    }

    func now() -> Instant {
        lock.withLock {
            current += step
            return Instant(milliseconds: current)
        }
    }
}

/// A backlog after an outage, under a tight rate limit: earliest deadline first saves strictly
/// more than first in, first out.
@Suite struct EDFTests {
    /// Files (7-day window) sent after images (14-day window) expire sooner: FIFO by send
    /// time reaches them too late. Each content request moves the simulator's clock 100 ms.
    static func backlog(seed: UInt64) async throws -> (SweepHarness, Int) {
        let config = SimulatorConfig(seed: seed, transcodeSeconds: 0, sizes: [.image: .init(min: 600, max: 900), .file: .init(min: 600, max: 900)])
        let clock = SteppingClock(start: SystemClock().now(), stepMilliseconds: 100)
        let simulator = try await SimulatorServer.start(config: config, clock: clock)
        let dir = TempDir()
        let ledgerPath = dir.file("ledger.sqlite3")
        let ledger = try Ledger.opened(path: ledgerPath, policy: .lineDefaults)
        let now = await simulator.state.now()
        var events: [[String: Any]] = []
        var messages: [SimulatedMessage] = []
        let count = 24
        for n in 0..<count {
            // Expiries spread over the next 0.3 to 2.6 simulated seconds; odd items are files.
            let expiresIn = Int64(300 + (n * 7919) % count * 100)
            let kind: MessageKind = n % 2 == 0 ? .image : .file
            let window = kind == .image ? RetentionDuration.days(14) : .days(7)
            let timestamp = now + expiresIn - window.seconds * 1000
            let id = "edf-\(seed)-\(n)"
            messages.append(SimulatedMessage(id: id, kind: kind, chatType: .user, chatId: "U1", userId: "U1", timestamp: timestamp,
                                             size: 700, fileName: kind == .file ? "f\(n).txt" : nil))
            events.append(Webhook.media(id, type: kind.rawValue, eventId: "ev-\(id)", at: timestamp, source: Webhook.source(user: "U1"),
                                        extra: kind == .file ? ["fileName": "f\(n).txt", "fileSize": 700] : [:]))
        }
        await simulator.state.register(messages)
        _ = try Capturer(ledger: ledger, clock: SystemClock()).capture([Webhook.body(events)])
        let plan = TrafficPlan(deliveries: [], messages: messages, destination: "U")
        return (SweepHarness(dir: dir, simulator: simulator, plan: plan, config: config, ledgerPath: ledgerPath), count)
    }

    @Test func earliestDeadlineFirstSavesMoreThanFIFO() async throws {
        var saved: [SweepOrder: Int] = [:]
        for (index, order) in SweepOrder.allCases.enumerated() {
            let (h, count) = try await Self.backlog(seed: UInt64(40 + index))
            let report = try await h.sweeper(concurrency: 1, rate: 1_000, burst: 1_000, order: order).run(SweepOptions(pack: false))
            #expect(report.downloaded + report.lost.values.reduce(0, +) == count, "\(report)")
            saved[order] = report.downloaded
            await h.simulator.stop()
        }
        print("EDF saved \(saved[.edf]!) items before their deadlines, FIFO \(saved[.fifo]!)")
        #expect(saved[.edf]! > saved[.fifo]!)
    }
}
