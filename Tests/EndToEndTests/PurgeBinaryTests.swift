import Foundation
import Testing
import TestSupport

/// `purge` and `erase` as an operator runs them: the built binary on a packed data dir.
@Suite struct PurgeBinaryTests {
    let cli = CLITests()
    /// Long after the conformance events (2016-05-10): their texts are past a 30-day keep.
    let later = ["TALKVAULT_NOW": "2017-01-01T00:00:00+09:00"]

    func json(_ text: String) throws -> [String: Any] { try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any] }

    func lines(_ text: String) throws -> [[String: Any]] { try text.split(separator: "\n").map { try json(String($0)) } }

    /// Files under the data dir holding `needle`, segments inflated with gzip.
    func filesHolding(_ needle: String) throws -> [String] {
        let root = cli.dir.file("data")
        var found: [String] = []
        for relative in FileManager.default.enumerator(atPath: root)!.compactMap({ $0 as? String }) {
            let path = root + "/" + relative
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            let bytes = path.hasSuffix(".tar.gz") ? Data(try run(which("gzip")!, ["-dc", path]).stdout.utf8) : data
            if bytes.range(of: Data(needle.utf8)) != nil { found.append(relative) }
        }
        return found
    }

    @Test func purgeAndEraseFromTheCommandLine() throws {
        let keep = cli.dir.write("keep.yaml", "keep:\n  text: 30d\n")
        let config = ["--config", keep, "--data-dir", "data"]
        // Ua's four and Ub's two are past a 30-day keep by then; Uc's is not.
        let events = (0..<6).map { n in
            Webhook.text("t\(n)", "SECRET-\(n) のご注文", eventId: "e\(n)", at: 1_462_000_000_000 + Int64(n), source: Webhook.source(user: n < 4 ? "Ua" : "Ub"))
        } + [Webhook.text("t6", "最近のご注文", eventId: "e6", at: 1_482_500_000_000, source: Webhook.source(user: "Uc"))]
        try Webhook.body(events).write(to: URL(fileURLWithPath: cli.dir.file("webhook.json")))
        #expect(try cli.talkvault(["ingest", "webhook.json"] + config).status == 0)
        #expect(try cli.talkvault(["pack"] + config).status == 0)
        // Ub's two messages are read and go out in both export profiles of their week.
        #expect(try cli.talkvault(["mark-read", "t4", "t5"] + config).status == 0)
        for profile in ["full", "line"] {
            let export = try cli.talkvault(["export", "--week", "2016-W17", "--profile", profile] + config)
            #expect(export.status == 0, "\(export.stderr)")
        }
        #expect(try filesHolding("SECRET-4").filter { $0.hasPrefix("exports/") }.count == 2)
        let texts = try lines(try cli.talkvault(["find", "--kind", "text", "--json"] + config).stdout)
        let all = Int(try cli.talkvault(["find", "--count"] + config).stdout.trimmingCharacters(in: .whitespacesAndNewlines))!
        #expect(texts.count == 7)
        let heldChat = "Ub"
        let purgedId = try #require(texts.first { $0["chat_id"] as? String != heldChat })["id"] as! String

        // The default keeps everything; the dry run under keep.text changes nothing.
        #expect(try json(try cli.talkvault(["purge", "--dry-run", "--json", "--config", "\(Fixtures.packageRoot)/retention.yaml", "--data-dir", "data"],
                                          environment: later).stdout)["messages"] as? Int == 0)
        // Rules that would empty the ledger need --yes-delete-all; nothing changes without it.
        let everything = cli.dir.write("all.yaml", "keep:\n" + ["text", "sticker", "location", "image", "video", "audio", "file", "unknown"].map { "  \($0): 1d\n" }.joined())
        let refused = try cli.talkvault(["purge", "--config", everything, "--data-dir", "data"], environment: later)
        #expect(refused.status == 64 && refused.stderr.contains("--yes-delete-all"), "\(refused.stderr)")
        #expect(Int(try cli.talkvault(["find", "--count"] + config).stdout.trimmingCharacters(in: .whitespacesAndNewlines)) == all)

        #expect(try cli.talkvault(["hold", "add", "--name", "case-1", "--reason", "係争", "--chat", heldChat] + config).status == 0)
        let dry = try json(try cli.talkvault(["purge", "--dry-run", "--json", "--metrics-file", "purge.prom"] + config, environment: later).stdout)
        let metrics = try String(contentsOfFile: cli.dir.file("purge.prom"), encoding: .utf8)
        #expect(metrics.contains("talkvault_held_messages 2.0") && metrics.contains("talkvault_purged_messages 0.0"), "\(metrics)")
        #expect(!metrics.contains("talkvault_oldest_unpurged_due_age_seconds 0.0"), "a dry run tells how long the oldest due item waited")
        let due = dry["messages"] as! Int
        #expect(due > 0 && dry["dry_run"] as? Bool == true)
        #expect((dry["held_back"] as! [[String: Any]]).first?["hold"] as? String == "case-1")
        #expect(Int(try cli.talkvault(["find", "--count"] + config).stdout.trimmingCharacters(in: .whitespacesAndNewlines)) == all)

        #expect(try filesHolding("SECRET-0").count >= 2, "the ledger and the segment hold it before")
        let purged = try cli.talkvault(["purge", "--json", "--metrics-file", "purge.prom"] + config, environment: later)
        #expect(purged.status == 0, "\(purged.stderr)")
        let after = try String(contentsOfFile: cli.dir.file("purge.prom"), encoding: .utf8)
        #expect(after.contains("talkvault_purged_messages \(due).0") && after.contains("talkvault_oldest_unpurged_due_age_seconds 0.0"), "\(after)")
        #expect(try json(purged.stdout)["messages"] as? Int == due)
        let show = try cli.talkvault(["show", purgedId] + config, environment: later)
        #expect(show.status == 66 && show.stderr.contains("was purged on 2017-01-01 under keep.text"), "\(show.stderr)")
        let restore = try cli.talkvault(["restore", purgedId, "--to", "out"] + config, environment: later)
        #expect(restore.status == 66 && restore.stderr.contains("purged on"), "\(restore.stderr)")
        let verify = try cli.talkvault(["verify", "--deep"] + config, environment: later)
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")

        // Erasure: refused while a hold covers the person, named; done once it is released.
        let person = heldChat
        let blocked = try cli.talkvault(["erase", "--user", person, "--reason", "APPI request 7"] + config, environment: later)
        #expect(blocked.status == 77 && blocked.stderr.contains("case-1"), "\(blocked.stderr)")
        #expect(try cli.talkvault(["erase", "--user", person, "--reason", " "] + config).status == 64)
        #expect(try cli.talkvault(["erase", "--user", "Unobody", "--reason", "r"] + config).status == 66)
        #expect(try cli.talkvault(["hold", "release", "case-1", "--reason", "和解"] + config).status == 0)
        let erased = try cli.talkvault(["erase", "--user", person, "--reason", "APPI request 7", "--json"] + config, environment: later)
        #expect(erased.status == 0, "\(erased.stderr)")
        #expect(try json(erased.stdout)["messages"] as! Int > 0)
        #expect(try cli.talkvault(["find", "--chat", person, "--count"] + config).stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        #expect(try cli.talkvault(["verify", "--deep"] + config, environment: later).status == 0)
        for n in 0..<6 { #expect(try filesHolding("SECRET-\(n)").isEmpty, "SECRET-\(n) is nowhere under the data dir") }
        // The delivered exports lost the erased rows, and still count as delivered.
        let manifest = try json(String(contentsOfFile: cli.dir.file("data/exports/talkvault-2016-W17.manifest.json"), encoding: .utf8))
        #expect((manifest["redacted"] as? [[String: Any]])?.count == 2 && manifest["rows"] as? Int == 0, "\(manifest)")
        for profile in ["full", "line"] {
            let again = try cli.talkvault(["export", "--week", "2016-W17", "--profile", profile] + config)
            #expect(again.status == 0, "\(profile): \(again.stderr)")
        }

        let audit = try lines(try cli.talkvault(["audit", "--json"] + config).stdout)
        let outcomes = audit.filter { ["purge", "erase"].contains($0["action"] as? String) }.map { "\($0["action"]!) \(($0["outcome"] as! String).prefix(6))" }
        #expect(outcomes.first == "purge ok" && outcomes.contains("erase failed") && outcomes.last == "erase ok", "\(outcomes)")
        #expect(audit.contains { $0["action"] as? String == "erase" && $0["reason"] as? String == "APPI request 7" })
    }

    /// A purge killed with SIGKILL while it rewrites segments: the next run finishes it, with
    /// nothing due left anywhere and nothing else lost.
    @Test func aPurgeKilledMidwayIsFinishedByTheNextRun() throws {
        // Twelve segments, each with old (due) and recent (kept) messages of text that does not
        // compress much, so the rewrites take long enough to be killed among them.
        let keep = cli.dir.write("keep.yaml", "keep:\n  text: 30d\n")
        let config = ["--config", keep, "--data-dir", "data"]
        var seed: UInt64 = 7
        let pool = Array((0..<200_000).map { _ -> UInt8 in
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(97 + (seed >> 33) % 26)
        })
        for batch in 0..<12 {
            var events: [[String: Any]] = []
            for n in 0..<300 {
                let id = batch * 300 + n, kept = n % 3 == 0
                let start = (id * 997) % (pool.count - 1_500)
                let text = (kept ? "KEEP-" : "GONE-") + "\(id) " + String(decoding: pool[start..<(start + 1_500)], as: UTF8.self)
                let sent: Int64 = (kept ? 1_482_500_000_000 : 1_462_000_000_000) + Int64(id)
                events.append(Webhook.text("m\(id)", text, eventId: "e\(id)", at: sent, source: Webhook.source(user: "U\(n % 5)")))
            }
            try Webhook.body(events).write(to: URL(fileURLWithPath: cli.dir.file("batch\(batch).json")))
            #expect(try cli.talkvault(["ingest", "batch\(batch).json"] + config).status == 0)
            #expect(try cli.talkvault(["pack"] + config).status == 0)
        }
        let due = try json(try cli.talkvault(["purge", "--dry-run", "--json"] + config, environment: later).stdout)["messages"] as! Int
        #expect(due == 12 * 200)

        let killed = Process()
        killed.executableURL = URL(fileURLWithPath: CLITests.binary)
        killed.arguments = ["purge"] + config
        killed.currentDirectoryURL = URL(fileURLWithPath: cli.dir.path)
        killed.environment = ProcessInfo.processInfo.environment.merging(later) { $1 }
        killed.standardOutput = FileHandle.nullDevice
        killed.standardError = FileHandle.nullDevice
        try killed.run()
        // Killed once a rewrite is published and before the last: in the middle, wherever that lands.
        func rewritten() -> Int { (FileManager.default.enumerator(atPath: cli.dir.file("data/archive"))?.allObjects as? [String] ?? []).count { $0.contains(".r1.") } }
        for _ in 0..<5_000 where rewritten() == 0 { usleep(1_000) }
        kill(killed.processIdentifier, SIGKILL)
        killed.waitUntilExit()
        #expect(killed.terminationReason == .uncaughtSignal, "the purge was still running when it was killed")
        #expect(rewritten() < 12, "killed among its rewrites, not after them")

        let resumed = try cli.talkvault(["purge", "--json"] + config, environment: later)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let verify = try cli.talkvault(["verify", "--deep"] + config, environment: later)
        #expect(verify.status == 0, "\(verify.stdout)")
        #expect(Int(try cli.talkvault(["find", "--count"] + config).stdout.trimmingCharacters(in: .whitespacesAndNewlines)) == 12 * 100)
        #expect(try filesHolding("GONE-").isEmpty)
        #expect(try filesHolding("KEEP-3597 ").count >= 1)
        #expect(try json(try cli.talkvault(["purge", "--dry-run", "--json"] + config, environment: later).stdout)["messages"] as? Int == 0)
    }

    /// `keep.exports`: a delivered week past its rule goes (and stays known as delivered), unless
    /// it carries a message a hold covers.
    @Test func deliveredExportsPastTheirRuleGoUnlessHeld() throws {
        let keep = cli.dir.write("keep.yaml", "keep:\n  exports: 30d\n")
        let config = ["--config", keep, "--data-dir", "data"]
        let events = (0..<3).map { n in Webhook.text("x\(n)", "注文 \(n)", eventId: "xe\(n)", at: 1_462_000_000_000 + Int64(n), source: Webhook.source(user: "Ua")) }
        try Webhook.body(events).write(to: URL(fileURLWithPath: cli.dir.file("week.json")))
        #expect(try cli.talkvault(["ingest", "week.json"] + config).status == 0)
        #expect(try cli.talkvault(["mark-read", "x0", "x1", "x2"] + config).status == 0)
        #expect(try cli.talkvault(["export", "--week", "2016-W17"] + config).status == 0)
        let csv = cli.dir.file("data/exports/talkvault-2016-W17.csv")
        #expect(FileManager.default.fileExists(atPath: csv))

        #expect(try cli.talkvault(["hold", "add", "--name", "case-2", "--reason", "監査", "--chat", "Ua"] + config).status == 0)
        let held = try json(try cli.talkvault(["purge", "--dry-run", "--json"] + config, environment: later).stdout)
        #expect((held["exports"] as? [Any])?.isEmpty == true)
        #expect((held["exports_held"] as? [[String: Any]])?.first?["hold"] as? String == "case-2", "\(held)")
        #expect(try cli.talkvault(["purge"] + config, environment: later).status == 0)
        #expect(FileManager.default.fileExists(atPath: csv), "held: the week stays")

        #expect(try cli.talkvault(["hold", "release", "case-2", "--reason", "終了"] + config).status == 0)
        let purged = try json(try cli.talkvault(["purge", "--json"] + config, environment: later).stdout)
        #expect((purged["exports_removed"] as? [String])?.count == 2, "\(purged)")
        #expect(!FileManager.default.fileExists(atPath: csv))
        let again = try cli.talkvault(["export", "--week", "2016-W17"] + config, environment: later)
        #expect(again.status == 66 && again.stderr.contains("removed under keep.exports"), "\(again.stderr)")
        #expect(try cli.talkvault(["find", "--count"] + config).stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "3", "the messages stay")
    }
}
