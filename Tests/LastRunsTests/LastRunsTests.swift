import Foundation
import LastRuns
import TalkVaultDomain
import Testing
import TestSupport

@Suite struct LastRunsTests {
    let dir = TempDir()
    var log: LastRunLog { LastRunLog(dataDir: dir.path) }

    func run(_ command: String, at ms: Int64 = 1_790_000_000_000, outcome: String = "ok", summary: String? = "3 segments, 0 problems") -> LastRun {
        LastRun(command: command, startedAt: Instant(milliseconds: ms), finishedAt: Instant(milliseconds: ms + 1_234),
                outcome: outcome, summary: summary)
    }

    @Test func aRecordedRunIsReadBackAsItWas() throws {
        #expect(log.all().isEmpty)
        #expect(log.last("verify") == nil)
        let verify = run("verify")
        try log.record(verify)
        #expect(log.last("verify") == verify)
        #expect(log.last("verify")?.succeeded == true)
        #expect(log.all() == ["verify": verify])
        #expect(FileManager.default.fileExists(atPath: dir.file("state/last-run-verify.json")))
        #expect(log.path(for: "verify") == dir.file("state/last-run-verify.json"))
    }

    @Test func eachCommandHasItsFileAndANewRunReplacesTheLast() throws {
        for command in LastRunLog.commands { try log.record(run(command)) }
        let failed = run("sweep", at: 1_790_000_100_000, outcome: "failed (exit 3): 2 items at risk, 0 newly lost", summary: nil)
        try log.record(failed)
        let all = log.all()
        #expect(Set(all.keys) == Set(["sweep", "pack", "export", "verify", "purge"]))
        #expect(all["sweep"] == failed)
        #expect(all["sweep"]?.succeeded == false)
        #expect(all["sweep"]?.summary == nil)
        // Nothing but the five files: no temporary name is left behind.
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.file("state")).sorted()
        #expect(names == LastRunLog.commands.map { "last-run-\($0).json" }.sorted())
    }

    /// Times are stored as milliseconds since the epoch, as plain numbers; a missing summary is left out.
    @Test func theFileIsSmallJSONWithMillisecondTimes() throws {
        try log.record(run("pack", summary: nil))
        let data = try #require(FileManager.default.contents(atPath: dir.file("state/last-run-pack.json")))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(object.keys) == ["command", "started_at_ms", "finished_at_ms", "outcome"])
        #expect(object["started_at_ms"] as? Int64 == 1_790_000_000_000)
        #expect(object["finished_at_ms"] as? Int64 == 1_790_000_001_234)
        #expect(data.last == 0x0A)
    }

    /// Only the five commands: no path is ever built from another name.
    @Test func otherCommandNamesAreRejected() throws {
        for name in ["serve", "../../etc/passwd", "", "sweep/../pack", "Sweep", "verify "] {
            #expect(throws: LastRunError.unknownCommand(name)) { try log.record(run(name)) }
            #expect(log.last(name) == nil)
            #expect(log.path(for: name) == nil)
        }
        #expect(!FileManager.default.fileExists(atPath: dir.file("state")))
    }

    /// A damaged, foreign or oversized file is skipped; the others are still read.
    @Test func unreadableFilesAreSkipped() throws {
        try log.record(run("verify"))
        dir.write("state/last-run-pack.json", "{not json")
        // A run of another command under this command's name is not believed.
        let other = try String(contentsOfFile: dir.file("state/last-run-verify.json"), encoding: .utf8)
        dir.write("state/last-run-export.json", other)
        dir.write("state/last-run-purge.json", String(repeating: " ", count: 100_000) + other)
        try FileManager.default.createSymbolicLink(atPath: dir.file("state/last-run-sweep.json"),
                                                   withDestinationPath: dir.file("state/last-run-verify.json"))
        #expect(log.all() == ["verify": run("verify")])
        #expect(log.last("pack") == nil && log.last("export") == nil && log.last("sweep") == nil && log.last("purge") == nil)
        // Recording replaces a damaged file, and the symlink itself rather than what it points at.
        try log.record(run("pack", at: 5))
        try log.record(run("sweep", at: 7))
        #expect(log.last("pack") == run("pack", at: 5))
        #expect(log.last("sweep") == run("sweep", at: 7))
        #expect(log.last("verify") == run("verify"))
    }

    @Test func aDataDirThatCannotBeWrittenIsAnIOError() throws {
        let file = dir.write("plain-file", "")
        let log = LastRunLog(dataDir: file)
        #expect {
            try log.record(run("verify"))
        } throws: { error in
            if case .io = error as? LastRunError { return true }
            return false
        }
        #expect(log.all().isEmpty)
    }
}
