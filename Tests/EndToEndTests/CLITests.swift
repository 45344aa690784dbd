import Foundation
import Testing
import TestSupport

/// Runs the built `talkvault` binary, as an operator or systemd would.
@Suite struct CLITests {
    let dir = TempDir()
    let now = ["TALKVAULT_NOW": "2016-05-10T09:00:00+09:00"]

    static var binary: String {
        if let path = ProcessInfo.processInfo.environment["TALKVAULT_BIN"] { return path }
        // The test bundle sits in the build directory beside the products.
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("talkvault").path
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        return "\(Fixtures.packageRoot)/.build/debug/talkvault"
    }

    func talkvault(_ arguments: [String], environment: [String: String] = [:], stdin: Data? = nil) throws -> ProcessResult {
        var env = now
        env["TALKVAULT_DATA_DIR"] = ""
        for (key, value) in environment { env[key] = value }
        return try run(Self.binary, arguments, environment: env, stdin: stdin, cwd: dir.path)
    }

    @Test func checkPrintsTheEffectivePolicy() throws {
        let result = try talkvault(["check", "--config", "\(Fixtures.packageRoot)/retention.yaml", "--json"])
        #expect(result.status == 0)
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        let rows = json["policy"] as! [[String: Any]]
        #expect(rows.count == 24)
        let file = rows.first { $0["kind"] as? String == "file" && $0["chat_type"] as? String == "group" }!
        #expect(file["window"] as? String == "7d")
        #expect(file["window_seconds"] as? Int == 604_800)
        #expect(json["timezone"] as? String == "Asia/Tokyo")
        let text = try talkvault(["check", "--config", "\(Fixtures.packageRoot)/retention.yaml"])
        #expect(text.stdout.contains("file      user   7d      2d      5d"))
    }

    @Test func checkOnABrokenConfigPointsAtTheLine() throws {
        let config = dir.write("broken.yaml", "timezone: Asia/Tokyo\nwindows:\n  text: 1y\n  imgae: 14d\n  file: 0d\n")
        let result = try talkvault(["check", "--config", config])
        #expect(result.status == 78)
        #expect(result.stderr.contains("\(config):4:3: windows.imgae: unknown key"))
        #expect(result.stderr.contains("\(config):5:9: windows.file: a window must be longer than zero"))
        #expect(result.stdout.isEmpty)
    }

    @Test func ingestingTheSameBodiesTwiceGivesTheSameStatus() throws {
        let data = ["--data-dir", dir.file("data")]
        let first = try talkvault(["ingest"] + data + [Fixtures.conformanceWebhook])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("events read                        27"))
        let status1 = try talkvault(["status", "--json"] + data)
        #expect(status1.status == 0)
        let second = try talkvault(["ingest", "--json"] + data + [Fixtures.conformanceWebhook])
        #expect(second.status == 0)
        let report = try JSONSerialization.jsonObject(with: Data(second.stdout.utf8)) as! [String: Any]
        #expect((report["counts"] as! [String: Any])["new_events"] as? Int == 0)
        let status2 = try talkvault(["status", "--json"] + data)
        #expect(status2.stdout == status1.stdout)
        let parsed = try JSONSerialization.jsonObject(with: Data(status2.stdout.utf8)) as! [String: Any]
        #expect((parsed["ledger"] as! [String: Any])["messages"] as? Int == 2)
        let text = try talkvault(["status"] + data)
        #expect(text.stdout.contains("image            0            1"))
    }

    @Test func ingestFromStdinUsesTheDataDirFromTheEnvironment() throws {
        let body = try Fixtures.uniqueConformanceData()
        let result = try talkvault(["ingest", "-"], environment: ["TALKVAULT_DATA_DIR": dir.file("env-data")], stdin: body)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir.file("env-data/ledger.sqlite3")))
        let status = try talkvault(["status", "--json"], environment: ["TALKVAULT_DATA_DIR": dir.file("env-data")])
        let parsed = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as! [String: Any]
        #expect((parsed["ledger"] as! [String: Any])["messages"] as? Int == 11)
    }

    @Test func aMalformedLineExitsTwoAndNamesTheLineButNotTheText() throws {
        let good = String(decoding: Webhook.body([Webhook.text("m1", "ok", eventId: "e1", at: 1_462_629_479_859)]), as: UTF8.self)
        let input = dir.write("mixed.jsonl", good + "\n{\"events\": \"極秘の内容\n")
        let result = try talkvault(["ingest", "--data-dir", dir.file("data"), input])
        #expect(result.status == 2)
        #expect(result.stderr.contains("\(input):2: rejected: malformed JSON"))
        #expect(!result.stderr.contains("極秘"))
        #expect(result.stdout.contains("bodies stored                      1"))
    }

    @Test func aRejectionIsSummedUpInWordsThatFitTheCase() throws {
        let good = { (n: Int) in
            String(decoding: Webhook.body([Webhook.text("w\(n)", "ok", eventId: "we\(n)", at: 1_462_629_479_859)]), as: UTF8.self)
        }
        let bad = "{\"events\": [ broken"
        let cases: [(String, [String], String)] = [
            ("one.json", [bad], "talkvault: the body was rejected; nothing was stored\n"),
            ("all.jsonl", ["[]", "\"text\"", bad], "talkvault: all 3 bodies were rejected; nothing was stored\n"),
            ("half.jsonl", [good(1), bad], "talkvault: 1 of 2 bodies was rejected; the other one was stored\n"),
            ("some.jsonl", [good(2), bad, good(3), bad, good(4)], "talkvault: 2 of 5 bodies were rejected; the other 3 were stored\n"),
        ]
        for (name, lines, summary) in cases {
            let input = dir.write(name, lines.joined(separator: "\n") + "\n")
            let result = try talkvault(["ingest", "--data-dir", dir.file("data-\(name)"), input])
            #expect(result.status == 2, "\(name)")
            #expect(result.stderr.hasSuffix(summary), "\(name): \(result.stderr)")
            #expect(!result.stderr.contains("the rest are stored"), "\(name)")
        }
    }

    @Test func missingInputsHaveTheirOwnExitCode() throws {
        let noLedger = try talkvault(["status", "--data-dir", dir.file("empty")])
        #expect(noLedger.status == 66)
        #expect(noLedger.stderr.contains("no ledger at"))
        #expect(!FileManager.default.fileExists(atPath: dir.file("empty/ledger.sqlite3")), "status must not create a ledger")
        let noFile = try talkvault(["ingest", "--data-dir", dir.file("data"), dir.file("missing.json")])
        #expect(noFile.status == 66)
    }

    @Test func aBadClockOrCommandLineIsAUsageError() throws {
        #expect(try talkvault(["status", "--data-dir", dir.file("d")], environment: ["TALKVAULT_NOW": "soon"]).status == 64)
        #expect(try talkvault(["ingest"]).status == 64)
        #expect(try talkvault(["frobnicate"]).status == 64)
    }

    @Test func aLedgerThatCannotBeCreatedIsAnIOError() throws {
        let blocker = dir.write("blocker", "a file, not a directory")
        let result = try talkvault(["ingest", "--data-dir", "\(blocker)/sub", Fixtures.conformanceWebhook])
        #expect(result.status == 74)
        #expect(result.stderr.contains("cannot create directory"))
    }
}
