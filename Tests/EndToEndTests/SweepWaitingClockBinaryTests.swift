import Foundation
import Intake
import Ledger
import LedgerTestSupport
@testable import LINESimulator
@testable import Sweep
import Store
import TalkVaultDomain
import Testing
import TestSupport

extension SweepBinaryTests {
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
