import Foundation
import Ledger
import Logging
import Server
import ServiceLifecycle
import Store
import TalkVaultDomain
import Testing
import Intake
import LedgerTestSupport
import TestSupport

/// SIGTERM ends `serve` within the bound the README promises, whatever its services are doing.
@Suite struct ServeShutdownTests {
    /// The fetcher waits out its interval between batches: a graceful shutdown must end that
    /// wait at once, not after the interval (an hour here; the guard gives up after a minute).
    @Test func theProfileFetcherEndsAtOnceOnGracefulShutdown() async throws {
        let dir = TempDir()
        let ledgerPath = dir.file("data/ledger.sqlite3")
        _ = try Ledger.opened(path: ledgerPath, policy: .lineDefaults)
        let fetcher = ProfileFetcher(settings: .init(apiBaseURL: "http://127.0.0.1:9", accessToken: "token", interval: .seconds(3_600)),
                                     ledgerPath: ledgerPath, policy: .lineDefaults, clock: SystemClock(), logger: Logger(label: "test"))
        let group = ServiceGroup(services: [fetcher], logger: Logger(label: "test"))
        let endedByShutdown = await withTaskGroup(of: Bool.self) { tasks in
            tasks.addTask { try? await group.run(); return true }
            tasks.addTask { try? await Task.sleep(for: .seconds(60)); return false }
            try? await Task.sleep(for: .milliseconds(300))
            await group.triggerGracefulShutdown()
            let first = await tasks.next() ?? false
            tasks.cancelAll()
            return first
        }
        #expect(endedByShutdown, "the profile fetcher slept through a graceful shutdown")
    }

}
