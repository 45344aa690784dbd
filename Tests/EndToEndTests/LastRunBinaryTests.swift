import Foundation
import Testing
import TestSupport

/// Each scheduled command leaves its last run in `state/last-run-<command>.json`, as the
/// console's dashboard reads it: the built binary, a real data dir.
@Suite struct LastRunBinaryTests {
    let cli = CLITests()
    var dir: TempDir { cli.dir }
    /// CLITests' TALKVAULT_NOW, 2016-05-10T09:00:00+09:00, in milliseconds.
    static let now: Int64 = 1_462_838_400_000

    func talkvault(_ arguments: [String]) throws -> ProcessResult {
        try cli.talkvault(arguments + ["--data-dir", "data", "--config", "\(Fixtures.packageRoot)/retention.yaml"])
    }

    func lastRun(_ command: String) throws -> [String: Any]? {
        guard let data = FileManager.default.contents(atPath: dir.file("data/state/last-run-\(command).json")) else { return nil }
        return try JSONSerialization.jsonObject(with: data) as? [String: Any]
    }

    func ingested() throws {
        try Fixtures.uniqueConformanceData().write(to: URL(fileURLWithPath: dir.file("webhook.json")))
        #expect(try cli.talkvault(["ingest", "--data-dir", "data", "--config", "\(Fixtures.packageRoot)/retention.yaml", "webhook.json"]).status == 0)
    }

    @Test func packAndVerifyRecordTheirRunsAndAFailedVerifyItsExit() throws {
        try ingested()
        let pack = try talkvault(["pack"])
        #expect(pack.status == 0, "\(pack.stderr)")
        let packed = try #require(try lastRun("pack"))
        #expect(packed["command"] as? String == "pack")
        #expect(packed["outcome"] as? String == "ok")
        #expect(packed["started_at_ms"] as? Int64 == Self.now && packed["finished_at_ms"] as? Int64 == Self.now)
        let summary = try #require(packed["summary"] as? String)
        #expect(summary.hasSuffix("content files packed into 1 segments"), "\(summary)")
        // Figures only: no file names.
        #expect(!summary.contains("/") && !summary.contains(".tar.gz"), "\(summary)")

        #expect(try talkvault(["verify"]).status == 0)
        let verified = try #require(try lastRun("verify"))
        #expect(verified["outcome"] as? String == "ok")
        #expect((verified["summary"] as? String)?.hasPrefix("1 segments and ") == true, "\(verified)")
        #expect((verified["summary"] as? String)?.hasSuffix("; 0 problems") == true, "\(verified)")

        // A flipped byte: verify exits 65, and its run says so, as the audit trail words an outcome.
        let segment = try #require(FileManager.default.enumerator(atPath: dir.file("data/archive"))?
            .compactMap { $0 as? String }.first { $0.hasSuffix(".tar.gz") })
        var bytes = try Data(contentsOf: URL(fileURLWithPath: dir.file("data/archive/" + segment)))
        bytes[bytes.count / 3] ^= 0x04
        try bytes.write(to: URL(fileURLWithPath: dir.file("data/archive/" + segment)))
        let damaged = try talkvault(["verify"])
        #expect(damaged.status == 65)
        let failed = try #require(try lastRun("verify"))
        let outcome = try #require(failed["outcome"] as? String)
        #expect(outcome.hasPrefix("failed (exit 65): verify found "), "\(outcome)")
        #expect(!outcome.contains("\n"))
        // The figures known when it failed are kept.
        #expect((failed["summary"] as? String)?.hasSuffix("problems") == true, "\(failed)")
        // The pack's run is still its own.
        #expect(try lastRun("pack")?["outcome"] as? String == "ok")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.file("data/state")).sorted()
                == ["last-run-pack.json", "last-run-verify.json"])
    }

    @Test func exportRecordsItsWeek() throws {
        try ingested()
        let export = try talkvault(["export", "--week", "2016-W19"])
        #expect(export.status == 0, "\(export.stderr)")
        let run = try #require(try lastRun("export"))
        #expect(run["outcome"] as? String == "ok")
        #expect((run["summary"] as? String)?.hasPrefix("2016-W19: 1 files, ") == true, "\(run)")
        // Again: the week was delivered, and the run says so.
        #expect(try talkvault(["export", "--week", "2016-W19"]).status == 0)
        #expect((try lastRun("export")?["summary"] as? String)?.hasSuffix(", 1 delivered before") == true)
    }

    @Test func dryRunsRecordNothing() throws {
        try ingested()
        #expect(try talkvault(["sweep", "--dry-run"]).status == 0)
        #expect(try talkvault(["purge", "--dry-run"]).status == 0)
        #expect(try lastRun("sweep") == nil && lastRun("purge") == nil)
        // A purge that is not a dry run does record (nothing is due under the sample config).
        let purge = try talkvault(["purge"])
        #expect(purge.status == 0, "\(purge.stderr)")
        #expect(try lastRun("purge")?["outcome"] as? String == "ok")
        #expect((try lastRun("purge")?["summary"] as? String)?.hasPrefix("0 messages purged") == true)
    }

    /// A failure before any work is recorded with its exit code; a data dir that does not exist
    /// is not created for the record.
    @Test func aFailedSweepIsRecordedButNoDataDirIsMade() throws {
        let missing = try talkvault(["verify"])
        #expect(missing.status == 0, "\(missing.stdout)\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("data")))

        try ingested()
        // No access token: the sweep fails at once, with the config's exit code.
        let sweep = try cli.talkvault(["sweep", "--data-dir", "data", "--config", "\(Fixtures.packageRoot)/retention.yaml"],
                                      environment: ["TALKVAULT_ACCESS_TOKEN": "", "CREDENTIALS_DIRECTORY": ""])
        #expect(sweep.status == 78, "\(sweep.stderr)")
        let run = try #require(try lastRun("sweep"))
        #expect((run["outcome"] as? String)?.hasPrefix("failed (exit 78): ") == true, "\(run)")
        #expect(run["summary"] == nil)
    }

    /// A run that cannot be recorded is a warning: the command's own outcome stands.
    @Test func aRunThatCannotBeRecordedIsOnlyAWarning() throws {
        try ingested()
        dir.write("data/state", "not a directory")
        let verify = try talkvault(["verify"])
        #expect(verify.status == 0, "\(verify.stderr)")
        #expect(verify.stderr.contains("talkvault: warning: this verify's run could not be recorded"), "\(verify.stderr)")
    }
}
