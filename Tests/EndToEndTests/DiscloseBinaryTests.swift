import Crypto
import Foundation
import Testing
import TestSupport

extension SweepCLITests {
    /// A disclosure from the demo's data dir, with the OA Manager's backups imported (the
    /// account's replies) and packed: exactly the customer's chat, both sides, and their own
    /// messages in groups and rooms; each archived file byte for byte as LINE served it (the
    /// simulator's ground truth); a manifest that matches the disk; an audit entry. A second
    /// run into the same directory, and an unknown user, are refused and recorded.
    @Test func disclosingACustomerFromTheDemosDataDir() throws {
        let demo = try cli.talkvault(["demo", "--dir", "demo", "--messages", "80", "--seed", "7"])
        #expect(demo.status == 0, "\(demo.stderr)")
        let data = ["--data-dir", "demo"]
        for channel in ["shop-a", "shop-b"] {
            let imported = try cli.talkvault(["import", "--channel", channel, "demo/oa-backup-\(channel).zip"] + data)
            #expect(imported.status == 0, "\(imported.stderr)")
        }
        #expect(try cli.talkvault(["pack"] + data).status == 0)
        let truth = Dictionary(try Self.jsonLines(cli.dir.file("demo/ground-truth.jsonl")).map { ($0["id"] as! String, $0) }) { a, _ in a }

        // The ground truth of who said what: every message, from `find`.
        let all = try cli.talkvault(["find", "--json"] + data)
        #expect(all.status == 0, "\(all.stderr)")
        let rows = try all.stdout.split(separator: "\n").map { try Self.object(String($0)) }
        func belongs(_ row: [String: Any], to user: String) -> Bool {
            (row["chat_type"] as? String == "user" && row["chat_id"] as? String == user) || row["sender_id"] as? String == user
        }
        // The customer with the most to disclose: replies in their chat, messages in a group or room, archived content.
        let users = Set(rows.filter { $0["chat_type"] as? String == "user" }.map { $0["chat_id"] as! String })
        func score(_ user: String) -> Int {
            let theirs = rows.filter { belongs($0, to: user) }
            return (theirs.contains { $0["direction"] as? String == "outgoing" } ? 1000 : 0)
                + (theirs.contains { $0["chat_type"] as? String != "user" } ? 100 : 0)
                + theirs.filter { $0["content_file"] is String }.count
        }
        let user = try #require(users.max { (score($0), $0) < (score($1), $1) })
        let expected = rows.filter { belongs($0, to: user) }
        #expect(score(user) > 1100, "the demo gives a customer with replies, group messages and content")

        let run = try cli.talkvault(["disclose", "--user", user, "--to", "out/disclosure", "--reason", "開示請求 #12", "--json"] + data)
        #expect(run.status == 0, "\(run.stderr)")
        let summary = try Self.object(run.stdout)
        #expect(summary["messages"] as? Int == expected.count && summary["user_id"] as? String == user)
        let out = cli.dir.file("out/disclosure")
        let messages = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/messages.json"))) as? [[String: Any]])
        #expect(messages.map { $0["id"] as! String } == expected.map { $0["id"] as! String })
        #expect(messages.contains { $0["direction"] as? String == "outgoing" } && messages.contains { $0["chat_type"] as? String != "user" })
        #expect(!messages.contains { $0["chat_type"] as? String != "user" && $0["sender_id"] as? String != user }, "no one else's group messages")

        // Every archived content is there, as LINE served it; what is not archived has no file.
        var restored = 0
        for (message, row) in zip(messages, expected) {
            guard let path = message["file"] as? String else {
                #expect(row["content_file"] is NSNull || row["content_file"] == nil, "\(row)")
                continue
            }
            restored += 1
            let bytes = try Data(contentsOf: URL(fileURLWithPath: out + "/" + path))
            let sha = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
            #expect(sha == message["content_sha256"] as? String && sha == row["content_sha256"] as? String)
            if let known = truth[message["id"] as! String]?["sha256"] as? String { #expect(sha == known, "the simulator's bytes") }
        }
        #expect(restored > 0 && summary["files"] as? Int == restored)

        // The manifest: every file but itself, each with the hash and size on disk.
        let manifest = try Self.object(try String(contentsOfFile: out + "/manifest.json", encoding: .utf8))
        #expect(manifest["user_id"] as? String == user && manifest["messages"] as? Int == expected.count)
        let entries = manifest["files"] as! [[String: Any]]
        var onDisk = Set(FileManager.default.enumerator(atPath: out)!.compactMap { $0 as? String }.filter {
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: out + "/" + $0, isDirectory: &isDirectory) && !isDirectory.boolValue
        })
        onDisk.remove("manifest.json")
        #expect(Set(entries.map { $0["path"] as! String }) == onDisk)
        for entry in entries {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: out + "/" + (entry["path"] as! String)))
            #expect(entry["sha256"] as? String == SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined())
            #expect(entry["bytes"] as? Int == bytes.count)
        }
        let csv = try Data(contentsOf: URL(fileURLWithPath: out + "/messages.csv"))
        #expect(String(decoding: csv.dropFirst(3), as: UTF8.self).hasPrefix("id,sent_at,chat_type,chat_id,"))

        // Refusals: a directory with files in it, an unknown user. Neither writes anything.
        let again = try cli.talkvault(["disclose", "--user", user, "--to", "out/disclosure"] + data)
        #expect(again.status == 64 && again.stderr.contains("not empty"), "\(again.stderr)")
        let nobody = "U" + String(repeating: "0", count: 32)
        let unknown = try cli.talkvault(["disclose", "--user", nobody, "--to", "out/nobody"] + data)
        #expect(unknown.status == 66 && unknown.stderr.contains("no user \(nobody)"), "\(unknown.stderr)")
        #expect(!FileManager.default.fileExists(atPath: cli.dir.file("out/nobody")))
        let text = try cli.talkvault(["disclose", "--user", user, "--to", "out/text"] + data)
        #expect(text.status == 0 && text.stdout.contains("\(expected.count) messages") && text.stdout.contains("manifest: out/text/manifest.json"),
                "\(text.stdout)")

        let audit = try cli.talkvault(["audit", "--json", "--action", "disclose"] + data)
        #expect(audit.status == 0, "\(audit.stderr)")
        let entriesLogged = try audit.stdout.split(separator: "\n").map { try Self.object(String($0)) }
        #expect(entriesLogged.map { $0["target"] as? [String] } == [["user:" + user], ["user:" + user], ["user:" + nobody], ["user:" + user]])
        #expect(entriesLogged[0]["outcome"] as? String == "ok" && entriesLogged[0]["reason"] as? String == "開示請求 #12")
        #expect((entriesLogged[1]["outcome"] as? String)?.hasPrefix("failed (exit 64)") == true)
        #expect((entriesLogged[2]["outcome"] as? String)?.hasPrefix("failed (exit 66)") == true)
        #expect(entriesLogged[3]["outcome"] as? String == "ok" && entriesLogged[3]["reason"] is NSNull)
        #expect(try cli.talkvault(["audit", "--verify"] + data).status == 0)
    }
}
