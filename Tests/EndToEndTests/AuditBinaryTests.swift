import Crypto
import Foundation
import Testing
import TestSupport

extension SweepCLITests {
    /// Every action that reads content or changes what is kept leaves an entry, failed ones
    /// too; an edited entry is named by `audit --verify` and `verify`.
    @Test func everyActionLeavesAnAuditEntryAndATamperedTrailIsNamed() throws {
        let config = ["--config", "\(Fixtures.packageRoot)/retention.yaml", "--data-dir", "data"]
        try Fixtures.uniqueConformanceData().write(to: URL(fileURLWithPath: cli.dir.file("webhook.json")))
        #expect(try cli.talkvault(["ingest", "webhook.json"] + config).status == 0)
        #expect(try cli.talkvault(["pack"] + config).status == 0)
        let found = try cli.talkvault(["find", "--json", "--state", "archived", "--limit", "1"] + config)
        let id = try #require(try JSONSerialization.jsonObject(with: Data(found.stdout.split(separator: "\n")[0].utf8)) as? [String: Any])["id"] as! String
        #expect(try cli.talkvault(["show", id] + config).status == 0)
        #expect(try cli.talkvault(["show", "no-such-id"] + config).status == 66)
        #expect(try cli.talkvault(["restore", id, "--to", "out"] + config).status == 0)
        #expect(try cli.talkvault(["mark-read", id, "--by", "sato"] + config, environment: ["TALKVAULT_ACCESS_TOKEN": ""]).status == 0)
        #expect(try cli.talkvault(["export", "--week", "2016-W19"] + config).status == 0)
        #expect(try cli.talkvault(["export", "--week", "2016-W19", "--force", "--reason", "監査のため再出力"] + config).status == 0)
        try FileManager.default.createDirectory(atPath: cli.dir.file("in"), withIntermediateDirectories: true)
        try Data("アカウント名,店\nタイムゾーン,'+09:00\nダウンロード日時,2016/05/09 10:00\n送信者タイプ,送信者名,送信日,送信時刻,内容\nAccount,鈴木,2016/05/09,09:00:00,はい\n".utf8)
            .write(to: URL(fileURLWithPath: cli.dir.file("in/20160509_20160509_客.csv")))
        #expect(try cli.talkvault(["import", "in"] + config).status == 0)
        #expect(try cli.talkvault(["import", "in", "--dry-run"] + config).status == 0)

        let listed = try cli.talkvault(["audit", "--json"] + config)
        #expect(listed.status == 0, "\(listed.stderr)")
        let entries = try listed.stdout.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        // `ingest` made the data dir; `pack`, the first command in it, saw the config first.
        #expect(entries.map { $0["action"] as! String } == ["config change", "show", "show", "restore", "mark-read", "export", "export --force", "import"],
                "a dry run is no action")
        #expect((entries[2]["outcome"] as! String).hasPrefix("failed (exit 66)"))
        #expect(entries[6]["reason"] as? String == "監査のため再出力" && (entries[3]["target"] as? [String]) == [id])
        #expect(try cli.talkvault(["audit", "--verify"] + config).status == 0)
        #expect(try cli.talkvault(["audit", "--action", "show"] + config).stdout.split(separator: "\n").count == 2)

        // One entry edited: both checks name its line.
        let path = cli.dir.file("data/audit/audit.jsonl")
        var lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        lines[4] = lines[4].replacingOccurrences(of: "\"sato\"", with: "\"suzuki\"").replacingOccurrences(of: id, with: "other")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path))
        let check = try cli.talkvault(["audit", "--verify"] + config)
        #expect(check.status == 65 && check.stderr.contains("audit.jsonl:5:"), "\(check.stderr)")
        let verify = try cli.talkvault(["verify"] + config)
        #expect(verify.status == 65 && verify.stdout.contains("audit.jsonl:5: its hash does not match"), "\(verify.stdout)")
        // A log whose last line is no entry records nothing more, so nothing more is shown.
        try Data(((lines + ["garbage"]).joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path))
        let refused = try cli.talkvault(["show", id] + config)
        #expect(refused.status == 65 && refused.stdout.isEmpty, "\(refused.stderr)")
    }

    /// `verify` checks the audit trail with the archives: an entry edited, removed or moved
    /// is a problem naming its line, and verify exits 65; put back, all is well again.
    @Test func verifyNamesAnEditedRemovedOrReorderedAuditEntry() throws {
        let config = ["--config", "\(Fixtures.packageRoot)/retention.yaml", "--data-dir", "data"]
        try Fixtures.uniqueConformanceData().write(to: URL(fileURLWithPath: cli.dir.file("webhook.json")))
        #expect(try cli.talkvault(["ingest", "webhook.json"] + config).status == 0)
        #expect(try cli.talkvault(["pack"] + config).status == 0)
        for _ in 0..<4 { #expect(try cli.talkvault(["show", "no-such-id"] + config).status == 66) }
        let path = cli.dir.file("data/audit/audit.jsonl")
        let pristine = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(pristine.count == 5)
        let clean = try cli.talkvault(["verify", "--json"] + config)
        #expect(clean.status == 0, "\(clean.stdout)")
        #expect((try JSONSerialization.jsonObject(with: Data(clean.stdout.utf8)) as? [String: Any])?["audit_entries_checked"] as? Int == 5)

        let tamperings: [(String, ([String]) -> [String], String)] = [
            ("edited", { var l = $0; l[2] = l[2].replacingOccurrences(of: "no-such-id", with: "m1"); return l }, "audit.jsonl:3: its hash does not match its content: it was edited (2 entries before it check out)"),
            ("removed", { var l = $0; l.remove(at: 2); return l }, "audit.jsonl:3: entry 4 where 3 was due: an entry was removed, added or moved"),
            ("reordered", { var l = $0; l.swapAt(3, 4); return l }, "audit.jsonl:4: entry 5 where 4 was due"),
        ]
        for (name, tamper, named) in tamperings {
            try Data((tamper(pristine).joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path))
            let verify = try cli.talkvault(["verify"] + config)
            #expect(verify.status == 65, "\(name): \(verify.stdout)")
            #expect(verify.stdout.split(separator: "\n").contains { $0.hasPrefix("PROBLEM: ") && $0.contains(named) },
                    "\(name): \(verify.stdout)")
            #expect(verify.stdout.hasSuffix("1 problems\n"), "\(name): only the audit trail is named: \(verify.stdout)")
            let json = try cli.talkvault(["verify", "--json"] + config)
            let problems = (try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])?["problems"] as? [String]
            #expect(json.status == 65 && problems?.count == 1 && problems?.first?.contains(named) == true, "\(name): \(json.stdout)")
        }
        try Data((pristine.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path))
        #expect(try cli.talkvault(["verify"] + config).status == 0)
    }

    /// A changed retention.yaml is recorded once, by the first command that loads it, with the
    /// new hash and the old; an unchanged one adds nothing; without a data dir nothing is written.
    @Test func aChangedConfigIsRecordedOnceWithBothHashes() throws {
        let shipped = try String(contentsOfFile: "\(Fixtures.packageRoot)/retention.yaml", encoding: .utf8)
        let file = cli.dir.write("retention.yaml", shipped)
        let config = ["--config", file, "--data-dir", "data"]
        let check = try cli.talkvault(["check"] + config)
        #expect(check.status == 0 && !FileManager.default.fileExists(atPath: cli.dir.file("data")), "no data dir, nothing recorded: \(check.stderr)")
        try Fixtures.uniqueConformanceData().write(to: URL(fileURLWithPath: cli.dir.file("webhook.json")))
        #expect(try cli.talkvault(["ingest", "webhook.json"] + config).status == 0)

        func changes() throws -> [[String: Any]] {
            let listed = try cli.talkvault(["audit", "--json", "--action", "config change"] + config)
            #expect(listed.status == 0, "\(listed.stderr)")
            return try listed.stdout.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        }
        let sha = { (text: String) in "sha256:" + SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined() }
        #expect(try cli.talkvault(["find", "--count"] + config).status == 0)
        let seen = try changes()
        #expect(seen.count == 1 && seen[0]["target"] as? [String] == [file, sha(shipped), "first seen"], "\(seen)")
        #expect((seen[0]["who"] as? String)?.isEmpty == false && seen[0]["outcome"] as? String == "ok")
        #expect(try cli.talkvault(["status"] + config).status == 0)
        #expect(try changes().count == 1, "unchanged: nothing more")

        let edited = shipped + "\n# a comment is a change of the file\n"
        try Data(edited.utf8).write(to: URL(fileURLWithPath: file))
        #expect(try cli.talkvault(["find", "--count"] + config).status == 0)
        #expect(try cli.talkvault(["find", "--count"] + config).status == 0)
        let after = try changes()
        #expect(after.count == 2, "\(after)")
        #expect(after.last?["target"] as? [String] == [file, sha(edited), "was " + sha(shipped)] && after.last?["outcome"] as? String == "ok")
        #expect(try cli.talkvault(["audit", "--verify"] + config).status == 0)
    }

    /// Packs copy the audit log into the archives, byte for byte; `audit --from-archives` reads
    /// those copies back, and checks their chain, with the log gone.
    @Test func theAuditLogIsPackedAndReadBackFromTheArchives() throws {
        let config = ["--config", "\(Fixtures.packageRoot)/retention.yaml", "--data-dir", "data"]
        try Fixtures.uniqueConformanceData().write(to: URL(fileURLWithPath: cli.dir.file("webhook.json")))
        #expect(try cli.talkvault(["ingest", "webhook.json"] + config).status == 0)
        #expect(try cli.talkvault(["pack"] + config).status == 0)
        #expect(try cli.talkvault(["show", "no-such-id"] + config).status == 66)
        #expect(try cli.talkvault(["show", "no-such-id"] + config).status == 66)
        let quiet = try cli.talkvault(["pack"] + config)
        #expect(quiet.stdout.contains("nothing to pack"), "entries alone wait for messages: \(quiet.stdout)")
        try Webhook.body([Webhook.text("later1", "後で", eventId: "later-e1", at: 1_462_900_000_000, source: Webhook.source(user: "Ulater"))])
            .write(to: URL(fileURLWithPath: cli.dir.file("later.json")))
        #expect(try cli.talkvault(["ingest", "later.json"] + config).status == 0)
        let pack = try cli.talkvault(["pack"] + config)
        #expect(pack.status == 0 && pack.stdout.contains("with a copy of 2 new audit-log entries"), "\(pack.stdout)")

        let log = try String(contentsOfFile: cli.dir.file("data/audit/audit.jsonl"), encoding: .utf8)
        let packed = try cli.talkvault(["audit", "--json", "--from-archives"] + config)
        #expect(packed.status == 0 && packed.stdout == log, "every entry, as stored: \(packed.stdout)")
        // Standard tools read the copies too.
        var extracted = ""
        for segment in try FileManager.default.subpathsOfDirectory(atPath: cli.dir.file("data/archive")).filter({ $0.hasSuffix(".tar.gz") }).sorted() {
            let out = try run(which("tar")!, ["-xzOf", cli.dir.file("data/archive/" + segment), "--wildcards", "audit/*"])
            #expect(out.status == 0, "\(out.stderr)")
            extracted += out.stdout
        }
        #expect(extracted == log)

        // The log gone: the copies still tell who did what, and their chain checks out.
        try FileManager.default.removeItem(atPath: cli.dir.file("data/audit"))
        let listed = try cli.talkvault(["audit", "--from-archives", "--action", "show"] + config)
        #expect(listed.status == 0 && listed.stdout.split(separator: "\n").count == 2, "\(listed.stdout)")
        let chain = try cli.talkvault(["audit", "--from-archives", "--verify"] + config)
        #expect(chain.status == 0 && chain.stdout.contains("3 entries in the archives' copies; the chain checks out"), "\(chain.stdout)\(chain.stderr)")
    }
}
