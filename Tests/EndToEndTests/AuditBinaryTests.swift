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
        #expect(entries.map { $0["action"] as! String } == ["show", "show", "restore", "mark-read", "export", "export --force", "import"],
                "a dry run is no action")
        #expect((entries[1]["outcome"] as! String).hasPrefix("failed (exit 66)"))
        #expect(entries[5]["reason"] as? String == "監査のため再出力" && (entries[2]["target"] as? [String]) == [id])
        #expect(try cli.talkvault(["audit", "--verify"] + config).status == 0)
        #expect(try cli.talkvault(["audit", "--action", "show"] + config).stdout.split(separator: "\n").count == 2)

        // One entry edited: both checks name its line.
        let path = cli.dir.file("data/audit/audit.jsonl")
        var lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        lines[3] = lines[3].replacingOccurrences(of: "\"sato\"", with: "\"suzuki\"").replacingOccurrences(of: id, with: "other")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path))
        let check = try cli.talkvault(["audit", "--verify"] + config)
        #expect(check.status == 65 && check.stderr.contains("audit.jsonl:4:"), "\(check.stderr)")
        let verify = try cli.talkvault(["verify"] + config)
        #expect(verify.status == 65 && verify.stdout.contains("audit.jsonl:4: its hash does not match"), "\(verify.stdout)")
        // A log whose last line is no entry records nothing more, so nothing more is shown.
        try Data(((lines + ["garbage"]).joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path))
        let refused = try cli.talkvault(["show", id] + config)
        #expect(refused.status == 65 && refused.stdout.isEmpty, "\(refused.stderr)")
    }
}
