import Foundation
import Testing

extension SweepCLITests {
    /// A newcomer runs the demo, then the export it suggests: the CSV has the week's read
    /// messages, and the manifest counts the ones nobody read.
    @Test func theDemoSuggestsAWeekWhoseExportHasReadRowsAndCountsTheUnread() throws {
        let demo = try cli.talkvault(["demo", "--dir", "demo", "--messages", "80"])
        #expect(demo.status == 0, "\(demo.stderr)")
        #expect(demo.stdout.contains("marked by staff with mark-read"), "\(demo.stdout)")
        let line = try #require(demo.stdout.split(separator: "\n").first { $0.contains("talkvault export --data-dir") }, "\(demo.stdout)")
        let words = line.split(separator: " ").map(String.init)
        let dataDir = try #require(words.firstIndex(of: "--data-dir").map { words[$0 + 1] })
        let week = try #require(words.firstIndex(of: "--week").map { words[$0 + 1] })

        // The export runs now, after the demo's reads, as a newcomer would run it.
        let export = try cli.talkvault(["export", "--data-dir", dataDir, "--week", week], environment: ["TALKVAULT_NOW": ""])
        #expect(export.status == 0, "\(export.stderr)")
        let csv = try String(contentsOfFile: export.stdout.trimmingCharacters(in: .whitespacesAndNewlines), encoding: .utf8)
        let rows = csv.split(separator: "\r\n").count - 1
        #expect(rows > 0, "\(csv)")
        let manifestPath = export.stdout.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: ".csv", with: ".manifest.json")
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: manifestPath))) as! [String: Any]
        #expect(manifest["rows"] as? Int == rows)
        let unread = try #require(manifest["unread"] as? [String: Any])
        #expect((unread["total"] as? Int ?? 0) > 0, "\(manifest)")
        // The summary's figures are the export's.
        #expect(line.contains("its \(rows) read messages") && line.contains("the \(unread["total"] as? Int ?? -1) unread"), "\(line)")
    }
}
