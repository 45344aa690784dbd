import Store
import Foundation
@testable import Ledger
import SQLiteDB
import Testing
import LedgerTestSupport
import TestSupport

/// Hostile input through the built binary: each gets a clear answer, and nothing crashes.
@Suite struct CLIBadInputTests {
    let dir = TempDir()

    /// Runs the binary with its output going to files, not pipes: a build that prints megabytes
    /// of errors then fails the test instead of blocking on a full pipe.
    func talkvault(_ arguments: [String]) throws -> ProcessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLITests.binary)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["TALKVAULT_NOW"] = "2016-05-10T09:00:00+09:00"
        environment["TALKVAULT_DATA_DIR"] = ""
        process.environment = environment
        process.currentDirectoryURL = URL(fileURLWithPath: dir.path)
        let out = dir.write("stdout-\(UUID().uuidString)", ""), err = dir.write("stderr-\(UUID().uuidString)", "")
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        defer { for file in [out, err] { try? FileManager.default.removeItem(atPath: file) } }
        return ProcessResult(status: process.terminationStatus, stdout: String(decoding: try Data(contentsOf: URL(fileURLWithPath: out)), as: UTF8.self),
                             stderr: String(decoding: try Data(contentsOf: URL(fileURLWithPath: err)), as: UTF8.self))
    }

    /// A timestamp near Int64's limit once trapped in `Instant.rfc3339` (exit 132) and killed
    /// every later unfiltered `find`. It is now kept raw as invalid, and times already in a
    /// ledger at Int64's limits are formatted without trapping.
    @Test func anExtremeTimestampNeverBreaksStatusFindShowOrExport() throws {
        let data = dir.file("data")
        let sentAt: Int64 = 1_462_629_479_859
        let body = Webhook.body([
            Webhook.text("far", "far future", eventId: "x0", at: 9_223_372_036_854_000_000),
            Webhook.text("m1", "one", eventId: "x1", at: sentAt), Webhook.text("m2", "two", eventId: "x2", at: sentAt + 1),
            Webhook.text("m3", "three", eventId: "x3", at: sentAt + 2),
        ])
        let input = dir.write("extreme.json", String(decoding: body, as: UTF8.self))
        let ingest = try talkvault(["ingest", "--json", "--data-dir", data, input])
        #expect(ingest.status == 0, "\(ingest.stderr)")
        let counts = try #require((try JSONSerialization.jsonObject(with: Data(ingest.stdout.utf8)) as? [String: Any])?["counts"] as? [String: Any])
        #expect(counts["invalid_events"] as? Int == 1)
        #expect(counts["new_messages"] as? Int == 3)

        // As a ledger written before such timestamps were refused holds them.
        do {
            let ledger = try Ledger.opened(path: data + "/ledger.sqlite3", policy: .lineDefaults, create: false)
            try ledger.db.run("UPDATE messages SET sent_at_ms = ?2, deadline_ms = ?3, captured_at_ms = ?3, read_at_ms = ?3, read_by = 'x' WHERE id = ?1",
                              [.text("m1"), .integer(9_223_372_036_854_000_000), .integer(.max)])
            try ledger.db.run("UPDATE messages SET sent_at_ms = ?2, deadline_ms = ?2, read_at_ms = ?2, read_by = 'x' WHERE id = ?1",
                              [.text("m2"), .integer(.min)])
            try ledger.db.run("UPDATE messages SET read_at_ms = ?2, read_by = 'x' WHERE id = ?1", [.text("m3"), .integer(sentAt + 10)])
            try ledger.db.run("UPDATE message_history SET at_ms = ?1", [.integer(.min)])
        }
        let commands: [[String]] = [
            ["status"], ["status", "--json"], ["find"], ["find", "--json"], ["find", "--csv"], ["find", "--count"],
            ["find", "--since", "2016-05"], ["find", "--until", "9999-12"], ["show", "m1"], ["show", "m1", "--json"],
            ["show", "m2"], ["show", "m2", "--json"], ["export"], ["export", "--profile", "line"],
        ]
        for command in commands {
            let result = try talkvault(command + ["--data-dir", data])
            #expect(result.status == 0, "\(command): exit \(result.status) \(result.stderr)")
        }
        let find = try talkvault(["find", "--json", "--data-dir", data])
        #expect(find.stdout.contains("9999-12-31T23:59:59.999+09:00"), "a time past year 9999 is shown as the range's end")
        #expect(find.stdout.contains("0000-01-01T"), "a time before year 0 is shown as the range's start")
        #expect(try talkvault(["status", "--data-dir", data]).stdout.contains("1 invalid events (kept raw)"))
    }

    /// JSON is UTF-8: a body with broken UTF-8 is a rejected line, named with its position.
    @Test func ingestRejectsALineWithBrokenUTF8() throws {
        let good = Webhook.body([Webhook.text("m1", "ok", eventId: "e1", at: 1_462_629_479_859)])
        var broken = Array(Webhook.body([Webhook.text("m2", "極秘", eventId: "e2", at: 1_462_629_479_859)]))
        let at = try #require(broken.firstRange(of: Array("秘".utf8))).lowerBound
        broken[at + 1] = 0x41
        let path = dir.file("mixed.jsonl")
        try Data(Array(good) + [0x0A] + broken + [0x0A]).write(to: URL(fileURLWithPath: path))
        let result = try talkvault(["ingest", "--data-dir", dir.file("data"), path])
        #expect(result.status == 2)
        #expect(result.stderr.contains("\(path):2: rejected: malformed JSON at line 1, column"), "\(result.stderr)")
        #expect(result.stderr.contains("invalid UTF-8 at byte offset \(at)"))
        #expect(!result.stderr.contains("極"))
        #expect(result.stdout.contains("bodies stored                      1"))
    }

    /// Config errors are bounded: a huge file is refused before parsing, a long value or key is
    /// quoted in part, at most 100 problems are listed, and the server's own paths are refused.
    @Test func checkBoundsWhatABadConfigPrints() throws {
        let huge = dir.write("huge.yaml", "timezone: " + String(repeating: "x", count: 2 << 20) + "\n")
        let refused = try talkvault(["check", "--config", huge])
        #expect(refused.status == 78)
        #expect(refused.stderr.contains("\(huge): the file is larger than 1048576 bytes (1 MiB)"))
        #expect(refused.stderr.utf8.count < 1_000)

        let long = dir.write("long.yaml", "timezone: " + String(repeating: "y", count: 500_000) + "\n" + String(repeating: "z", count: 1_000) + ": 1\n")
        let clipped = try talkvault(["check", "--config", long])
        #expect(clipped.status == 78)
        #expect(clipped.stderr.contains("unknown time zone '" + String(repeating: "y", count: 40) + "…'"))
        #expect(clipped.stderr.utf8.count < 2_000, "\(clipped.stderr.utf8.count) bytes of errors")

        let keys = (0..<5_000).map { "unknown_\($0): 1" }.joined(separator: "\n")
        let many = try talkvault(["check", "--config", dir.write("many.yaml", keys + "\n")])
        #expect(many.status == 78)
        let lines = many.stderr.split(separator: "\n")
        #expect(lines.count == 101)
        #expect(lines.last?.hasSuffix("4900 more problems not listed (only the first 100 are)") == true)

        let healthz = try talkvault(["check", "--config", dir.write("path.yaml", "capture:\n  webhook_path: /healthz\n")])
        #expect(healthz.status == 78)
        #expect(healthz.stderr.contains("path.yaml:2:17: capture.webhook_path: collides with the server's own /healthz"))
    }
}
