import Intake
import Foundation
@testable import LINESimulator
import Ledger
@testable import Sweep
import Store
import TalkVaultDomain
import Testing
import SweepTestSupport
import TestSupport

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

}
