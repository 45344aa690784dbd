import Foundation
import Testing
import TestSupport

extension SweepCLITests {
    /// Tags and holds from the command line, their bad input, and their audit entries.
    @Test func tagsAndHoldsFromTheCommandLine() throws {
        let config = ["--config", "\(Fixtures.packageRoot)/retention.yaml", "--data-dir", "data"]
        try Fixtures.uniqueConformanceData().write(to: URL(fileURLWithPath: cli.dir.file("webhook.json")))
        #expect(try cli.talkvault(["ingest", "webhook.json"] + config).status == 0)
        let found = try cli.talkvault(["find", "--json", "--limit", "1"] + config)
        let first = try JSONSerialization.jsonObject(with: Data(found.stdout.split(separator: "\n")[0].utf8)) as! [String: Any]
        let chat = first["chat_id"] as! String
        #expect(try cli.talkvault(["tag", "add", "--chat", chat, "invoice"] + config).status == 0)
        let unknown = try cli.talkvault(["tag", "add", "no-such-id", "invoice"] + config)
        #expect(unknown.status == 2 && unknown.stdout.contains("unknown no-such-id"))
        #expect(try cli.talkvault(["tag", "add", "--chat", chat, "bad tag!"] + config).status == 64)
        let tagged = try cli.talkvault(["find", "--tag", "INVOICE", "--count"] + config)
        #expect(Int(tagged.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 > 0)

        let placed = try cli.talkvault(["hold", "add", "--name", "case-7", "--reason", "係争中", "--tag", "invoice", "--user", "Ughost"] + config)
        #expect(placed.status == 0 && placed.stderr.contains("warning: no user Ughost"), "\(placed.stderr)")
        #expect(try cli.talkvault(["hold", "add", "--name", "case-7", "--reason", "again"] + config).status == 64, "a name is used once")
        #expect(try cli.talkvault(["hold", "add", "--name", "case-8", "--reason", " "] + config).status == 64, "an empty reason")
        let shown = try cli.talkvault(["hold", "show", "case-7"] + config)
        #expect(shown.status == 0 && shown.stdout.contains("active") && shown.stdout.contains("係争中"), "\(shown.stdout)")
        let removal = try cli.talkvault(["tag", "remove", "--chat", chat, "Invoice"] + config)
        #expect(removal.status == 77 && removal.stderr.contains("case-7"), "holds win: \(removal.stderr)")
        #expect(try cli.talkvault(["tag", "add", "1111", "2222"] + config).status == 64, "a forgotten tag is not the id before it")
        #expect(try cli.talkvault(["hold", "release", "case-7", "--reason", ""] + config).status == 64)
        #expect(try cli.talkvault(["hold", "release", "case-7", "--reason", "和解"] + config).status == 0)
        #expect(try cli.talkvault(["hold", "release", "case-7", "--reason", "和解"] + config).status == 66, "released once")
        #expect(try cli.talkvault(["hold", "list"] + config).stdout.contains("released"))

        let audit = try cli.talkvault(["audit", "--json"] + config)
        let actions = try audit.stdout.split(separator: "\n").map { (try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any])["action"] as! String }
        #expect(actions == ["config change", "tag add", "tag add", "hold add", "hold add", "tag remove", "hold release", "hold release"], "\(actions)")
    }
}
