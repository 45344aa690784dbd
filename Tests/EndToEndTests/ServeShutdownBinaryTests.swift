import Foundation
import Intake
import Ledger
import Store
import Logging
import Server
import ServerTestSupport
import ServiceLifecycle
import TalkVaultDomain
import Testing
import TestSupport

extension ServeBinaryTests {
    /// The binary with an access token, so the fetcher runs: SIGTERM exits 0 well inside the
    /// unit's TimeoutStopSec=30 (the README promises about 6 s: at most 5 s of applying).
    @Test func sigtermEndsServeWithAnAccessTokenInsideTheStopTimeout() async throws {
        let dir = TempDir()
        let (simulator, simulatorURL) = try SimulatorBinaryTests.start([])
        defer { simulator.terminate() }
        let yaml = try String(contentsOfFile: "\(Fixtures.packageRoot)/retention.yaml", encoding: .utf8)
            .replacingOccurrences(of: "https://api.line.me", with: simulatorURL)
            .replacingOccurrences(of: "https://api-data.line.me", with: simulatorURL)
        try yaml.write(toFile: dir.file("retention.yaml"), atomically: true, encoding: .utf8)
        let (process, url, _) = try ServeBinaryTests.startServe(
            dataDir: dir.file("data"),
            environment: ["TALKVAULT_CHANNEL_SECRET": ServerHarness.secret, "TALKVAULT_ACCESS_TOKEN": "simulator-access-token"],
            config: dir.file("retention.yaml"))
        #expect(url.hasPrefix("http://127.0.0.1:"))
        let body = Webhook.body([Webhook.text("m1", "hello", eventId: "e1", at: 1_790_000_000_000)])
        #expect(try await ServeBinaryTests.post(body, to: url) == .ok)
        // Let the fetcher finish its first batch and start waiting out its 30 s interval.
        try await Task.sleep(for: .seconds(1))
        let stopped = ContinuousClock.now
        process.terminate()
        // Polled, not waited on: a blocked test thread could hold up the guard itself.
        var exited = false
        for _ in 0..<150 where !exited {
            try await Task.sleep(for: .milliseconds(100))
            exited = !process.isRunning
        }
        if !exited { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        #expect(exited, "serve took \(ContinuousClock.now - stopped) after SIGTERM")
        #expect(process.terminationStatus == 0)
    }
}
