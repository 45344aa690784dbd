import Foundation
import Testing
import TestSupport

/// A data dir made by the release before channels (commit b959bec: `line-simulator send` of 40
/// messages to `serve`, `sweep`, `mark-read` of six, `export --week 2026-W48`, `verify --deep`;
/// the inbox segments made sparse, then `tar -S`) upgrades in place: everything is the channel
/// `default`, and nothing already delivered changes.
@Suite struct UpgradeBinaryTests {
    static let fixture = "\(Fixtures.packageRoot)/Tests/Fixtures/upgrade-v9/data.tar.gz"
    let cli = CLITests()

    func unpack() throws -> (dataDir: String, config: String) {
        let dataDir = cli.dir.file("data")
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        let tar = try run("/usr/bin/tar", ["-xzf", Self.fixture, "-C", dataDir])
        #expect(tar.status == 0, "\(tar.stderr)")
        let config = cli.dir.write("retention.yaml", "timezone: Asia/Tokyo\nread_state: manual\n")
        return (dataDir, config)
    }

    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func aOneChannelDataDirFromTheReleaseBeforeUpgradesInPlace() throws {
        let (dataDir, config) = try unpack()
        let common = ["--data-dir", dataDir, "--config", config]
        let exportsBefore = try FileManager.default.contentsOfDirectory(atPath: dataDir + "/exports").sorted()
        let csvBefore = try Data(contentsOf: URL(fileURLWithPath: dataDir + "/exports/talkvault-2026-W48.csv"))

        // A reader refuses the older schema and says how to upgrade; a writer upgrades it.
        #expect(try cli.talkvault(["status"] + common).status == 66)
        let pack = try cli.talkvault(["pack"] + common)
        #expect(pack.status == 0, "\(pack.stderr)")

        let status = try json(try cli.talkvault(["status", "--json"] + common).stdout)
        let channels = try #require(status["channels"] as? [[String: Any]])
        #expect(channels.count == 1 && channels.first?["name"] as? String == "default" && channels.first?["messages"] as? Int == 40)
        #expect(try cli.talkvault(["find", "--count", "--channel", "default"] + common).stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "40")
        #expect(try cli.talkvault(["find", "--count", "--channel", "shop-a"] + common).stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        let line = try #require(try cli.talkvault(["find", "--json", "--limit", "1"] + common).stdout.split(separator: "\n").first)
        let first = try json(String(line))
        #expect(first["channel"] as? String == "default")
        #expect(try cli.talkvault(["show", first["id"] as! String] + common).stdout.contains("channel   default"))

        // The archive verifies deeply against the upgraded ledger: records of before read as default.
        let verify = try cli.talkvault(["verify", "--deep"] + common)
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        // The delivered week is the same delivery, under the same name: nothing is rewritten.
        let export = try cli.talkvault(["export", "--week", "2026-W48"] + common)
        #expect(export.status == 0 && export.stdout == dataDir + "/exports/talkvault-2026-W48.csv\n", "\(export.stderr)")
        #expect(export.stderr.contains("delivered before and is unchanged"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: dataDir + "/exports/talkvault-2026-W48.csv")) == csvBefore)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dataDir + "/exports").sorted() == exportsBefore)

        // The upgrade's config has no keep rules: the first purge's dry run is empty, and a purge
        // long after (a daily timer, years on) deletes nothing.
        let years = ["TALKVAULT_NOW": "2040-01-01T00:00:00+09:00"]
        let dry = try json(try cli.talkvault(["purge", "--dry-run", "--json"] + common, environment: years).stdout)
        #expect(dry["messages"] as? Int == 0 && (dry["rules"] as? [Any])?.isEmpty == true && (dry["exports"] as? [Any])?.isEmpty == true)
        #expect(try cli.talkvault(["purge"] + common, environment: years).status == 0)
        #expect(try cli.talkvault(["find", "--count"] + common).stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "40")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dataDir + "/exports").sorted() == exportsBefore)

        // Listing channels afterwards keeps the history reachable: the old week is still the
        // default channel's, beside the new channel's own file.
        let listed = cli.dir.write("listed.yaml", "timezone: Asia/Tokyo\nread_state: manual\nchannels:\n  - name: shop-a\n")
        let both = try cli.talkvault(["export", "--week", "2026-W48", "--data-dir", dataDir, "--config", listed])
        #expect(both.status == 0, "\(both.stderr)")
        #expect(Set(both.stdout.split(separator: "\n").map { ($0 as NSString).lastPathComponent })
                == ["talkvault-shop-a-2026-W48.csv", "talkvault-2026-W48.csv"])
    }
}
