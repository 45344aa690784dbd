import Intake
import Store
import Foundation
@testable import LINESimulator
@testable import Ledger
import Archive
import ArchiveRecord
import Packing
import SQLiteDB
import TalkVaultDomain
import Testing
import LedgerTestSupport
import TestSupport

/// `talkvault sweep` as systemd runs it: the built binary against a `line-simulator` process.
@Suite struct SweepBinaryTests {
    @Test func aSweepKilledWithKill9IsFinishedByTheNextWithEverythingArchivedOnce() async throws {
        let dir = TempDir()
        let seed: UInt64 = 21
        let config = SimulatorConfig(seed: seed)
        let (simulator, url) = try SimulatorBinaryTests.start(["--seed", "\(seed)", "--transcode-seconds", "0", "--latency-ms", "120",
                                                                "--size", "image=2000-60000", "--size", "video=10000-90000",
                                                                "--size", "audio=2000-20000", "--size", "file=500-40000"])
        defer { simulator.terminate() }
        // Three weeks of traffic, registered with the simulator and captured in the ledger.
        let plan = TrafficGenerator.plan(TrafficConfig(seed: seed, messages: 150, end: SystemClock().now(), period: .days(21),
                                                       externalBaseURL: url), simulator: config)
        let ledgerPath = dir.file("data/ledger.sqlite3")
        let ledger = try Ledger.opened(path: ledgerPath, policy: .lineDefaults)
        let registry = RemoteRegistry(baseURL: url)
        for delivery in plan.deliveries {
            try await registry.register(messages: delivery.registrations, unsends: delivery.unsends)
            _ = try Capturer(ledger: ledger, clock: SystemClock()).capture([plan.body(of: delivery)])
        }
        let yaml = try String(contentsOfFile: "\(Fixtures.packageRoot)/retention.yaml", encoding: .utf8)
            .replacingOccurrences(of: "https://api.line.me", with: url).replacingOccurrences(of: "https://api-data.line.me", with: url)
            .replacingOccurrences(of: "concurrency: 4", with: "concurrency: 2")
        try yaml.write(toFile: dir.file("retention.yaml"), atomically: true, encoding: .utf8)
        let arguments = ["sweep", "--data-dir", dir.file("data"), "--config", dir.file("retention.yaml")]
        let environment = ["TALKVAULT_ACCESS_TOKEN": config.accessToken, "TALKVAULT_NOW": "", "TALKVAULT_DATA_DIR": ""]

        // The first sweep dies by SIGKILL once some downloads are recorded.
        let first = Process()
        first.executableURL = URL(fileURLWithPath: CLITests.binary)
        first.arguments = arguments
        first.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        first.standardOutput = FileHandle.nullDevice
        first.standardError = FileHandle.nullDevice
        try first.run()
        let watcher = try Ledger.opened(path: ledgerPath, policy: .lineDefaults, create: false)
        var downloaded: Int64 = 0
        for _ in 0..<200 where downloaded < 5 {
            try await Task.sleep(for: .milliseconds(20))
            downloaded = (try? watcher.db.scalar("SELECT count(*) FROM messages WHERE state = 'downloaded'")) ?? 0
        }
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        #expect(first.terminationReason == .uncaughtSignal)
        #expect(downloaded >= 5)

        let second = try run(CLITests.binary, arguments, environment: environment)
        #expect([0, 3].contains(second.status), "\(second.stderr)")

        // Every content item ends as the simulator's rules say, archived once and byte-identical.
        let rules = SimulatorState(config: config)
        let now = SystemClock().now().milliseconds
        var expectedArchived = 0
        for message in plan.messages where message.kind.hasContent {
            let row = try ledger.rows("SELECT state, reason, content_sha256 FROM messages WHERE id = '\(message.id)'").first!
            let state = "\(row[0].value)"
            if message.unsentAt != nil {
                #expect(state == "\(SQLValue.text("unsent"))", "\(message.id)")
            } else if !message.external && now >= rules.expiry(of: message) {
                #expect(state == "\(SQLValue.text("lost"))" && "\(row[1].value)" == "\(SQLValue.text("expired"))", "\(message.id)")
            } else {
                expectedArchived += 1
                #expect(state == "\(SQLValue.text("archived"))", "\(message.id)")
                #expect("\(row[2].value)" == "\(SQLValue.text(ContentGenerator.stream(for: message, seed: seed).sha256()))")
            }
        }
        #expect(expectedArchived > 10)
        var contentCopies: [String: Int] = [:], recordCopies: [String: Int] = [:]
        let archiveDir = dir.file("data/archive")
        for path in SegmentReader.segmentFiles(archiveDir: archiveDir) {
            let manifest = try SegmentReader.manifest(segment: path, archiveDir: archiveDir)
            for entry in manifest.entries { if let id = entry.messageId { contentCopies[id, default: 0] += 1 } }
            try SegmentReader.records(manifest, archiveDir: archiveDir) { _, bytes in recordCopies[try RecordCodec.decode(bytes).message.id, default: 0] += 1 }
        }
        #expect(contentCopies.count == expectedArchived && contentCopies.values.allSatisfy { $0 == 1 })
        #expect(recordCopies.count == plan.messages.count && recordCopies.values.allSatisfy { $0 == 1 })
        let verify = try Verifier(archiveDir: archiveDir, index: ledger.archiveIndex, deep: true).run()
        #expect(verify.ok, "\(verify.problems)")
    }
}
