import Foundation
import Ledger
import Store
import LINESimulator
import Logging
import Server
import TalkVaultDomain
import Testing
import Intake
import LedgerTestSupport
import TestSupport

@Suite struct ProfileFetcherTests {
    @Test func displayNamesAreFetchedInTheBackgroundAndFailuresBackOff() async throws {
        let harness = try LedgerHarness()
        let base: Int64 = 1_790_000_000_000
        try harness.capture(Webhook.body([
            Webhook.text("m1", "hi", eventId: "e1", at: base, source: Webhook.source(user: "Ualice")),
            Webhook.text("m2", "hi", eventId: "e2", at: base, source: Webhook.source(user: "Ubob", group: "Cgroup")),
            Webhook.text("m3", "hi", eventId: "e3", at: base, source: Webhook.source(user: "Ugone")),
        ]))
        let simulator = try await SimulatorServer.start(config: SimulatorConfig(seed: 3))
        // The simulator knows Alice and Bob; Ugone never followed (404).
        await simulator.state.register([
            SimulatedMessage(id: "x1", kind: .text, chatType: .user, chatId: "Ualice", userId: "Ualice", timestamp: base, size: 0),
            SimulatedMessage(id: "x2", kind: .text, chatType: .group, chatId: "Cgroup", userId: "Ubob", timestamp: base, size: 0),
        ])
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let fetcher = ProfileFetcher(settings: .init(apiBaseURL: simulator.baseURL, accessToken: SimulatorConfig.defaultAccessToken),
                                     ledgerPath: harness.ledger.path, policy: .lineDefaults,
                                     clock: FixedClock(LedgerHarness.now), logger: logger)
        #expect(await fetcher.runOnce(harness.ledger.profileStore) == 3)
        let alice = try #require(try harness.ledger.profileStore.displayName(userId: "Ualice"))
        #expect(alice.unicodeScalars.contains { $0.value >= 0x4E00 && $0.value <= 0x9FFF })
        #expect(try harness.ledger.profileStore.displayName(userId: "Ubob", chatId: "Cgroup") != nil)
        #expect(try harness.ledger.profileStore.displayName(userId: "Ugone") == nil)
        let stats = await simulator.state.stats()
        #expect(stats.count("GET /v2/bot/group/{groupId}/member/{userId}", 200) == 1)
        // Cached: nothing is due again until the refresh period has passed.
        #expect(try harness.ledger.profileStore.profilesDue(now: LedgerHarness.now, refresh: .days(7), limit: 10).isEmpty)

        // A failing API is retried later, not in a loop, and does not throw.
        await simulator.state.setFaults(FaultConfig(errorRate: 1))
        let later = FixedClock(LedgerHarness.now.adding(.days(8)))
        let failing = ProfileFetcher(settings: .init(apiBaseURL: simulator.baseURL, accessToken: SimulatorConfig.defaultAccessToken),
                                     ledgerPath: harness.ledger.path, policy: .lineDefaults, clock: later, logger: logger)
        #expect(await failing.runOnce(harness.ledger.profileStore) == 0)
        #expect(try harness.ledger.profileStore.profilesDue(now: later.now(), refresh: .days(7), limit: 10).isEmpty, "backing off")
        let retry = try harness.ledger.profileStore.profilesDue(now: later.now().adding(.hours(1)), refresh: .days(7), limit: 10)
        #expect(retry.count == 3)
        #expect(retry.allSatisfy { $0.failures == 1 })
        #expect(try harness.ledger.profileStore.displayName(userId: "Ualice") == alice, "a failure keeps the cached name")
        await simulator.stop()
    }
}
