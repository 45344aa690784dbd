import AsyncHTTPClient
import Foundation
import Intake
@testable import Ledger
import LedgerTestSupport
import LINEClient
@testable import LINESimulator
import Logging
import NIOCore
@testable import Packing
@testable import Sweep
import SweepTestSupport
import Store
import TalkVaultDomain
import Testing
import TestSupport

extension SweepBinaryTests {
    @Test func aReserveLargerThanTheDiskExits74AndTheMetricsSaySo() async throws {
        let dir = TempDir()
        let seed: UInt64 = 47
        let config = SimulatorConfig(seed: seed)
        let (simulator, url) = try SimulatorBinaryTests.start(["--seed", "\(seed)", "--transcode-seconds", "0"])
        defer { simulator.terminate() }
        let plan = TrafficGenerator.plan(TrafficConfig(seed: seed, messages: 30, end: SystemClock().now(), period: .days(3),
                                                       externalBaseURL: url), simulator: config)
        let ledger = try Ledger.opened(path: dir.file("data/ledger.sqlite3"), policy: .lineDefaults)
        let registry = RemoteRegistry(baseURL: url)
        for delivery in plan.deliveries {
            try await registry.register(messages: delivery.registrations, unsends: delivery.unsends)
            _ = try Capturer(ledger: ledger, clock: SystemClock()).capture([plan.body(of: delivery)])
        }
        let due = try ledger.contentQueue.dueContent(limit: nil, kinds: [], until: nil).count
        #expect(due > 0)
        let yaml = try String(contentsOfFile: "\(Fixtures.packageRoot)/retention.yaml", encoding: .utf8)
            .replacingOccurrences(of: "https://api.line.me", with: url).replacingOccurrences(of: "https://api-data.line.me", with: url)
            .replacingOccurrences(of: "disk_reserve_bytes: 268435456", with: "disk_reserve_bytes: 1125899906842624")
        try yaml.write(toFile: dir.file("retention.yaml"), atomically: true, encoding: .utf8)
        let result = try run(CLITests.binary, ["sweep", "--json", "--data-dir", dir.file("data"), "--config", dir.file("retention.yaml"),
                                               "--metrics-file", dir.file("sweep.prom")],
                             environment: ["TALKVAULT_ACCESS_TOKEN": config.accessToken, "TALKVAULT_NOW": "", "TALKVAULT_DATA_DIR": ""])
        #expect(result.status == 74, "\(result.stderr)")
        #expect(result.stderr.contains("the disk is too full"), "\(result.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect(json?["stopped_for_disk_space"] as? Bool == true)
        #expect(json?["left_for_disk_space"] as? Int == due && json?["downloaded"] as? Int == 0)
        // Pack what fits: the text records still went into the archive.
        #expect((json?["packed_records"] as? Int ?? 0) > 0)
        let metrics = try String(contentsOfFile: dir.file("sweep.prom"), encoding: .utf8)
        #expect(metrics.contains("talkvault_sweep_stopped_for_disk_space 1.0"))
        #expect(metrics.contains("talkvault_sweep_disk_space_left_items{step=\"download\"} \(Double(due))"))
        // Not one content request reached LINE.
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url + "/admin/stats"), timeout: .seconds(10))
        let stats = try JSONDecoder().decode(SimulatorState.Stats.self,
                                             from: Data(try await response.body.collect(upTo: 1 << 20).readableBytesView))
        #expect(SweepHarness.contentAnswers(stats, status: 200) == 0 && stats.requests.keys.allSatisfy { !$0.contains("/content") })
    }
}
