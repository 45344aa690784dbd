import Foundation
import Archive
@testable import Ledger
import Store
import Packing
import Testing
import TalkVaultDomain
import LedgerTestSupport
import TestSupport

/// `pack`, `verify` and `reindex` as an operator runs them: the built binary, real files, and
/// standard tools reading the result.
@Suite struct ArchiveCLITests {
    let cli = CLITests()
    var dir: TempDir { cli.dir }

    func talkvault(_ arguments: [String]) throws -> ProcessResult {
        try cli.talkvault(arguments + ["--config", "\(Fixtures.packageRoot)/retention.yaml"])
    }

    @Test func packVerifyReindexFromTheCommandLine() throws {
        try Fixtures.uniqueConformanceData().write(to: URL(fileURLWithPath: dir.file("webhook.json")))
        #expect(try talkvault(["ingest", "--data-dir", "data", "webhook.json"]).status == 0)
        let pack = try talkvault(["pack", "--data-dir", "data", "--json"])
        #expect(pack.status == 0, "\(pack.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(pack.stdout.utf8)) as! [String: Any]
        let segments = report["segments"] as! [String]
        #expect(segments.count == 1)
        #expect((report["records"] as! Int) > 5)
        // The conformance events are dated 2016-05-10 in Tokyo; TALKVAULT_NOW dates the segment.
        #expect(segments[0].hasSuffix("archive/2016/05/10/talkvault-2016-05-10-0001.tar.gz"))
        let segment = dir.file(segments[0].replacingOccurrences(of: dir.path + "/", with: ""))
        #expect(try run(which("gzip")!, ["-t", segment]).status == 0)
        let listing = try run(which("tar")!, ["-tzf", segment])
        // The audit log's one entry (pack saw the config first) goes in with the messages.
        #expect(listing.stdout.split(separator: "\n") == ["audit/audit-1-1.jsonl", "messages.jsonl", "MANIFEST.json"])

        let verify = try talkvault(["verify", "--data-dir", "data", "--deep"])
        #expect(verify.status == 0, "\(verify.stdout)")
        #expect(verify.stdout.contains("OK"))
        #expect(try talkvault(["pack", "--data-dir", "data"]).stdout.contains("nothing to pack"))

        let reindex = try talkvault(["reindex", "--data-dir", "data", "--to", "rebuilt"])
        #expect(reindex.status == 0, "\(reindex.stderr)")
        #expect(try talkvault(["verify", "--data-dir", "rebuilt", "--deep"]).status == 0)
        // Refuses to write over a ledger.
        #expect(try talkvault(["reindex", "--data-dir", "data", "--to", "rebuilt"]).status == 64)

        // restore, from the rebuilt ledger: a text message as .txt and .json, or to stdout.
        let textId = try Ledger.opened(path: dir.file("rebuilt/ledger.sqlite3"), policy: .lineDefaults, create: false)
            .rows("SELECT id FROM messages WHERE kind = 'text' AND state = 'archived' ORDER BY id LIMIT 1").first.map { row -> String in
                if case .text(let id) = row[0].value { return id }
                return ""
            } ?? ""
        let restored = try talkvault(["restore", "--data-dir", "rebuilt", textId, "--to", "out"])
        #expect(restored.status == 0, "\(restored.stderr)")
        #expect(restored.stdout.contains(".txt") && restored.stdout.contains(".json"))
        let piped = try talkvault(["restore", "--data-dir", "rebuilt", textId, "--stdout"])
        #expect(piped.status == 0 && !piped.stdout.isEmpty)
        #expect(try String(contentsOfFile: dir.file("out/" + (SafeName.make(textId) ?? "") + ".txt"), encoding: .utf8) == piped.stdout)
        #expect(try talkvault(["restore", "--data-dir", "rebuilt", textId, "--to", "out"]).status == 74)   // exists, no --force
        #expect(try talkvault(["restore", "--data-dir", "rebuilt", "no-such-id", "--to", "out"]).status == 66)

        // A flipped byte: exit 65, and the report names the segment.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: segment))
        bytes[bytes.count / 3] ^= 0x04
        try bytes.write(to: URL(fileURLWithPath: segment))
        let damaged = try talkvault(["verify", "--data-dir", "data"])
        #expect(damaged.status == 65)
        #expect(damaged.stdout.contains("PROBLEM: 2016/05/10/talkvault-2016-05-10-0001.tar.gz"))
    }

    @Test func aSecondPackExitsAtOnceWhileOneHoldsTheLock() throws {
        let lock = try PackLock.acquire(dataDir: dir.file("data"))
        defer { lock.release() }
        let second = try talkvault(["pack", "--data-dir", "data"])
        #expect(second.status == 4)
        #expect(second.stderr.contains("another pack or sweep is running"))
    }
}

/// `sweep` and `demo` as an operator runs them.
@Suite struct SweepCLITests {
    let cli = CLITests()

    @Test func aSecondSweepExitsFourAndASweepWithoutATokenExits78() throws {
        let config = ["--config", "\(Fixtures.packageRoot)/retention.yaml", "--data-dir", "data"]
        try Fixtures.uniqueConformanceData().write(to: URL(fileURLWithPath: cli.dir.file("webhook.json")))
        #expect(try cli.talkvault(["ingest", "webhook.json"] + config).status == 0)
        let noToken = try cli.talkvault(["sweep"] + config, environment: ["TALKVAULT_ACCESS_TOKEN": "", "CREDENTIALS_DIRECTORY": ""])
        #expect(noToken.status == 78)
        #expect(noToken.stderr.contains("TALKVAULT_ACCESS_TOKEN"))
        let lock = try PackLock.acquire(dataDir: cli.dir.file("data"))
        defer { lock.release() }
        let second = try cli.talkvault(["sweep"] + config, environment: ["TALKVAULT_ACCESS_TOKEN": "t"])
        #expect(second.status == 4)
        #expect(second.stderr.contains("another pack or sweep is running"))
        // A plan only reads: it works beside a running sweep.
        let dryRun = try cli.talkvault(["sweep", "--dry-run", "--kind", "image"] + config, environment: ["TALKVAULT_ACCESS_TOKEN": "t"])
        #expect(dryRun.status == 0, "\(dryRun.stderr)")
    }

    @Test func theDemoRunsEndToEndAndLeavesADataDir() throws {
        let demo = try cli.talkvault(["demo", "--dir", "demo", "--messages", "80"])
        #expect(demo.status == 0, "\(demo.stderr)")
        #expect(demo.stdout.contains("captured    80 messages"))
        #expect(demo.stdout.contains("archived"))
        #expect(demo.stdout.contains("talkvault status --data-dir"))
        #expect(FileManager.default.fileExists(atPath: cli.dir.file("demo/ground-truth.jsonl")))
        let verify = try cli.talkvault(["verify", "--data-dir", "demo", "--deep", "--config", "\(Fixtures.packageRoot)/retention.yaml"])
        #expect(verify.status == 0, "\(verify.stdout)")
        try lookUpTheDemo()
        // A second run refuses to overwrite without --replace.
        #expect(try cli.talkvault(["demo", "--dir", "demo", "--messages", "10"]).status == 64)
    }
}
