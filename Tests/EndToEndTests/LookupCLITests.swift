import Crypto
import Foundation
import Ledger
import Store
import Testing
import LedgerTestSupport
import TestSupport

extension SweepCLITests {
    /// `find`, `show` and a selection `restore` on the demo's data dir, checked against the
    /// simulator's ground truth; then on a ledger rebuilt by `reindex`; then with a damaged segment.
    func lookUpTheDemo() throws {
        let config = ["--config", "\(Fixtures.packageRoot)/retention.yaml"]
        let truth = try String(contentsOfFile: cli.dir.file("demo/ground-truth.jsonl"), encoding: .utf8).split(separator: "\n")
            .map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
            .reduce(into: [String: String]()) { map, item in
                if let sha = item["sha256"] as? String { map[item["id"] as! String] = sha }
            }
        let media = ["--kind", "image,video,audio,file", "--state", "archived"]

        let found = try cli.talkvault(["find", "--data-dir", "demo", "--json"] + media + config)
        #expect(found.status == 0, "\(found.stderr)")
        let rows = found.stdout.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(rows.count > 3)
        for row in rows { #expect(row["content_sha256"] as? String == truth[row["id"] as! String], "\(row["id"]!)") }

        // A search term taken from the demo's own text: its first three characters.
        let texts = try cli.talkvault(["find", "--data-dir", "demo", "--kind", "text", "--limit", "1", "--json"] + config)
        let sample = (try JSONSerialization.jsonObject(with: Data(texts.stdout.utf8)) as! [String: Any])["text"] as! String
        let needle = String(sample.prefix(3))
        let expected = try cli.talkvault(["find", "--data-dir", "demo", "--kind", "text", "--json"] + config).stdout.split(separator: "\n")
            .filter { (try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any])["text"].map { ($0 as! String).contains(needle) } ?? false }
        for dataDir in ["demo", "rebuilt"] {
            if dataDir == "rebuilt" {
                #expect(try cli.talkvault(["reindex", "--data-dir", "demo", "--to", "rebuilt"] + config).status == 0)
            }
            let out = "restored-\(dataDir)"
            let restore = try cli.talkvault(["restore", "--data-dir", dataDir, "--to", out] + media + config)
            #expect(restore.status == 0, "\(restore.stderr)")
            #expect(restore.stderr.contains("restored \(rows.count) of \(rows.count) messages"))
            // Byte-identical: the restored files are exactly the ground truth's content, one each.
            let files = try FileManager.default.contentsOfDirectory(atPath: cli.dir.file(out))
            let hashes = try files.map { name in
                SHA256.hash(data: try Data(contentsOf: URL(fileURLWithPath: cli.dir.file("\(out)/\(name)")))).map { String(format: "%02x", $0) }.joined()
            }
            #expect(hashes.sorted() == rows.map { truth[$0["id"] as! String]! }.sorted())

            let search = try cli.talkvault(["find", "--data-dir", dataDir, "--text", needle, "--kind", "text"] + config)
            #expect(search.status == 0, "\(search.stderr)")
            let lines = search.stdout.split(separator: "\n")
            #expect(lines.count == expected.count && !lines.isEmpty, "\(needle)")
            #expect(lines.allSatisfy { $0.split(separator: "\t")[6].contains(needle) })
        }

        let id = rows[0]["id"] as! String
        let show = try cli.talkvault(["show", "--data-dir", "demo", id] + config)
        #expect(show.status == 0)
        for word in ["received", "downloaded", "archived", truth[id]!] { #expect(show.stdout.contains(word), "\(word)") }
        #expect(try cli.talkvault(["show", "--data-dir", "demo", "no-such-id"] + config).status == 66)
        for bad in [["find", "--since", "someday"], ["find", "--kind", "gif"], ["find", "--state", "gone"], ["find", "--limit", "0"],
                    ["find", "--json", "--csv"], ["restore", id, "--chat", "x", "--to", "out"], ["restore", "--to", "out"]] {
            let refused = try cli.talkvault(bad + ["--data-dir", "demo"] + config)
            #expect(refused.status == 64, "\(bad)")
            #expect(!refused.stderr.isEmpty)
        }

        // A flipped byte inside one item's member: that item fails naming its segment, the rest come back.
        let ledger = try Ledger.opened(path: cli.dir.file("demo/ledger.sqlite3"), policy: .lineDefaults, create: false)
        let parts = try #require(try ledger.archiveIndex.archivedParts(id: id)?.content)
        let segment = cli.dir.file("demo/archive/" + parts.segment)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: segment))
        bytes[Int(parts.item.memberOffset + parts.item.memberLength / 2)] ^= 0x20
        try bytes.write(to: URL(fileURLWithPath: segment))
        let damaged = try cli.talkvault(["restore", "--data-dir", "demo", "--to", "restored-damaged"] + media + config)
        #expect(damaged.status == 65)
        #expect(damaged.stderr.contains(parts.segment))
        #expect(damaged.stderr.contains("restored \(rows.count - 1) of \(rows.count) messages"))
    }
}
