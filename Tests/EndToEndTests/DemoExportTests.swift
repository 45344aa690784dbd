import Foundation
import Testing

extension SweepCLITests {
    /// A newcomer runs the demo, then the export it suggests: a CSV per account has the week's
    /// read messages, and the manifests count the ones nobody read.
    @Test func theDemoSuggestsAWeekWhoseExportHasReadRowsAndCountsTheUnread() throws {
        let demo = try cli.talkvault(["demo", "--dir", "demo", "--messages", "80"])
        #expect(demo.status == 0, "\(demo.stderr)")
        #expect(demo.stdout.contains("marked by staff with mark-read"), "\(demo.stdout)")
        let line = try #require(demo.stdout.split(separator: "\n").first { $0.contains("talkvault export --data-dir") }, "\(demo.stdout)")
        let words = line.split(separator: " ").map(String.init)
        let dataDir = try #require(words.firstIndex(of: "--data-dir").map { words[$0 + 1] })
        let week = try #require(words.firstIndex(of: "--week").map { words[$0 + 1] })

        // The export runs now, after the demo's reads, as a newcomer would run it: a file per
        // account, each with the account in its name and manifest.
        let export = try cli.talkvault(["export", "--data-dir", dataDir, "--week", week], environment: ["TALKVAULT_NOW": ""])
        #expect(export.status == 0, "\(export.stderr)")
        let paths = export.stdout.split(separator: "\n").map(String.init)
        #expect(paths.map { URL(fileURLWithPath: $0).lastPathComponent }
            == ["talkvault-shop-a-\(week).csv", "talkvault-shop-b-\(week).csv"], "\(export.stdout)")
        var rows = 0, unread = 0
        for (path, channel) in zip(paths, ["shop-a", "shop-b"]) {
            let csv = try String(contentsOfFile: path, encoding: .utf8)
            let fileRows = csv.split(separator: "\r\n").count - 1
            let manifestPath = path.replacingOccurrences(of: ".csv", with: ".manifest.json")
            let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: manifestPath))) as! [String: Any]
            #expect(manifest["rows"] as? Int == fileRows)
            #expect(manifest["channel"] as? String == channel, "\(manifest)")
            rows += fileRows
            unread += (manifest["unread"] as? [String: Any])?["total"] as? Int ?? 0
        }
        #expect(rows > 0 && unread > 0, "\(rows) rows, \(unread) unread")
        // The summary's figures are the exports'.
        #expect(line.contains("its \(rows) read messages") && line.contains("the \(unread) unread"), "\(line)")
        // Both accounts were captured, each on its own path, and `find --channel` tells them apart.
        #expect(demo.stdout.contains("shop-a: 40 messages, posted to its own /webhook/shop-a"), "\(demo.stdout)")
        #expect(demo.stdout.contains("shop-b: 40 messages, posted to the shared /webhook"), "\(demo.stdout)")
        let found = try cli.talkvault(["find", "--data-dir", dataDir, "--channel", "shop-b", "--json"])
        #expect(found.status == 0, "\(found.stderr)")
        let channels = try found.stdout.split(separator: "\n").map {
            (try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any])["channel"] as? String
        }
        #expect(channels.count == 40 && channels.allSatisfy { $0 == "shop-b" }, "\(channels)")
    }
}
