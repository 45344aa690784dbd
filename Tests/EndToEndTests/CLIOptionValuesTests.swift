import Foundation
import Testing
import TestSupport

/// The binary's option values, as an operator meets them: the parser knows every enum option's
/// valid values, lists them in `--help`, and refuses any other with 64; output formats go alone;
/// a failure is mapped to its exit code once and printed once.
@Suite struct CLIOptionValuesTests {
    let cli = CLITests()

    /// Help text with its line wrapping undone, so that a value list reads as one line.
    func help(_ arguments: [String]) throws -> String {
        let result = try cli.talkvault(arguments)
        #expect(result.status == 0, "\(arguments): \(result.stderr)")
        return result.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// A ledger of the conformance body's eleven messages, in `data`.
    func ingested() throws -> [String] {
        let data = ["--data-dir", cli.dir.file("data")]
        let ingest = try cli.talkvault(["ingest", "-"] + data, stdin: try Fixtures.uniqueConformanceData())
        #expect(ingest.status == 0, "\(ingest.stderr)")
        return data
    }

    func count(_ filters: [String], _ data: [String]) throws -> Int? {
        let result = try cli.talkvault(["find", "--count"] + filters + data)
        #expect(result.status == 0, "\(filters): \(result.stderr)")
        return Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    static let kinds = ["text", "sticker", "location", "image", "video", "audio", "file", "unknown"]
    static let states = ["received", "content_due", "downloaded", "archived", "lost", "lost:REASON", "unsent", "edited"]
    static let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    @Test func everyEnumOptionRefusesABadValueWithAUsageErrorListingTheValidOnes() throws {
        let cases: [(arguments: [String], bad: String, valid: [String])] = [
            (["export", "--profile"], "xml", ["full", "line"]),
            (["sweep", "--dry-run", "--order"], "lifo", ["edf", "fifo"]),
            (["sweep", "--dry-run", "--kind", "image", "--kind"], "text", ["image", "video", "audio", "file"]),
            (["sweep", "--dry-run", "--log-level"], "loud", Self.levels),
            (["serve", "--log-level"], "verbose", Self.levels),
            (["find", "--kind"], "image,gif", Self.kinds),
            (["find", "--state"], "archived,gone", Self.states),
            (["restore", "--to", "out", "--kind"], "gif", Self.kinds),
            (["restore", "--to", "out", "--state"], "lost,vanished", Self.states),
        ]
        for (arguments, bad, valid) in cases {
            let result = try cli.talkvault(arguments + [bad, "--data-dir", cli.dir.file("none")])
            #expect(result.status == 64, "\(arguments) \(bad): \(result.stderr)")
            #expect(result.stderr.contains("The value '\(bad)' is invalid for '\(arguments[arguments.count - 1])"), "\(result.stderr)")
            // A hidden option's refusal does not list its values (the parser's rule); --help-hidden does.
            let hidden = arguments.last == "--order"
            for value in valid where !hidden {
                #expect(result.stderr.contains("'\(value)'") || result.stderr.contains("- \(value)\n"), "\(arguments): \(value)")
            }
            #expect(result.stdout.isEmpty)
            // Refused before anything ran: no data dir was made.
            #expect(!FileManager.default.fileExists(atPath: cli.dir.file("none")))
        }
    }

    @Test func helpListsTheValidValuesOfEveryEnumOption() throws {
        let export = try help(["export", "--help"])
        #expect(export.contains("--profile <profile>"))
        #expect(export.contains("(values: full, line; default: full)"), "\(export)")
        let sweep = try help(["sweep", "--help"])
        #expect(sweep.contains("(values: image, video, audio, file)"), "\(sweep)")
        #expect(sweep.contains("(values: \(Self.levels.joined(separator: ", ")); default: warning)"), "\(sweep)")
        #expect(!sweep.contains("--order"), "--order is for measuring EDF only")
        #expect(try help(["sweep", "--help-hidden"]).contains("(values: edf, fifo; default: edf)"))
        #expect(try help(["serve", "--help"]).contains("(values: \(Self.levels.joined(separator: ", ")); default: info)"))
        for command in ["find", "restore"] {
            let text = try help([command, "--help"])
            #expect(text.contains("--kind <kinds>"), "\(command)")
            #expect(text.contains("(values: \(Self.kinds.joined(separator: ", ")))"), "\(command): \(text)")
            #expect(text.contains("(values: \(Self.states.joined(separator: ", ")))"), "\(command): \(text)")
        }
        // `help COMMAND` is the parser's too, and exits 0.
        #expect(try help(["help", "export"]).contains("(values: full, line; default: full)"))
    }

    @Test func findsCommaListsAcceptWhatTheyAcceptedBefore() throws {
        let data = try ingested()
        let images = try #require(try count(["--kind", "image"], data))
        let texts = try #require(try count(["--kind", "text"], data))
        #expect(images == 2 && texts == 4)
        #expect(try count(["--kind", "image,text"], data) == images + texts)
        #expect(try count(["--kind", " image , text ,"], data) == images + texts)
        #expect(try count(["--kind", ""], data) == 11, "an empty list filters nothing, as before")
        let due = try #require(try count(["--state", "content_due"], data))
        let unsent = try #require(try count(["--state", "unsent"], data))
        #expect(unsent == 1)
        #expect(try count(["--state", "content_due,unsent"], data) == due + unsent)
        #expect(try count(["--state", "lost:expired,unsent"], data) == unsent)
        #expect(try count(["--state", "edited"], data) == 0)
    }

    @Test func theOutputFormatFlagsGoAlone() throws {
        for pair in [["--json", "--csv"], ["--csv", "--count"], ["--count", "--json"], ["--json", "--csv", "--count"]] {
            let result = try cli.talkvault(["find", "--data-dir", cli.dir.file("none")] + pair)
            #expect(result.status == 64, "\(pair)")
            #expect(result.stderr.contains("had already been set with flag '\(pair[0])'"), "\(pair): \(result.stderr)")
        }
        let data = try ingested()
        // Each alone, and one given twice, is what it was.
        let json = try cli.talkvault(["find", "--json", "--json", "--kind", "image"] + data)
        #expect(json.status == 0, "\(json.stderr)")
        let rows = try json.stdout.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(rows.count == 2 && rows.allSatisfy { $0["kind"] as? String == "image" })
        let csv = try cli.talkvault(["find", "--csv", "--kind", "image"] + data)
        #expect(csv.status == 0)
        #expect(csv.stdout.split(whereSeparator: \.isNewline).count == 3)
        #expect(csv.stdout.hasPrefix("id,"), "\(csv.stdout)")
        #expect(try count(["--kind", "image"], data) == 2)
        let piped = try cli.talkvault(["find", "--kind", "image"] + data)
        #expect(piped.stdout.split(separator: "\n").allSatisfy { $0.split(separator: "\t").count > 5 }, "tab-separated when piped")
        #expect(try help(["find", "--help"]).contains("--json JSON lines. --csv CSV with a header row. --count Print only how many messages match."))
    }

    @Test func sweepAndMarkReadReadUntilWithTheSharedParser() throws {
        let data = try ingested()
        let token = ["TALKVAULT_ACCESS_TOKEN": "t"]
        for command in [["sweep", "--dry-run"], ["mark-read", "--chat", "U206d25c2ea6bd87c17655609a1c37cb8"]] {
            let refused = try cli.talkvault(command + ["--until", "someday"] + data, environment: token)
            #expect(refused.status == 64, "\(command)")
            #expect(refused.stderr == "talkvault: --until: 'someday' is neither an RFC 3339 time nor a date (2026-11-30)\n", "\(refused.stderr)")
        }
        // A date is the end of that day in the configured zone; RFC 3339 is that instant. The video's
        // deadline is 2016-05-21T22:57:59.859+09:00.
        for (until, planned) in [("2016-05-20", 0), ("2016-05-21", 1), ("2016-05-21T22:00:00+09:00", 0), ("2016-05-21T14:00:00Z", 1)] {
            let plan = try cli.talkvault(["sweep", "--dry-run", "--json", "--kind", "video", "--until", until] + data)
            #expect(plan.status == 0, "\(until): \(plan.stderr)")
            let report = try JSONSerialization.jsonObject(with: Data(plan.stdout.utf8)) as! [String: Any]
            #expect(report["planned"] as? Int == planned, "\(until): \(plan.stdout)")
        }
        // The user's chat holds seven messages sent on 2016-05-07 (JST) and one in 2021.
        let chat = ["mark-read", "--chat", "U206d25c2ea6bd87c17655609a1c37cb8", "--json", "--until"]
        for (until, marked) in [("2016-05-06", 0), ("2016-05-07", 7)] {
            let result = try cli.talkvault(chat + [until] + data)
            #expect(result.status == 0, "\(result.stderr)")
            let summary = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
            #expect((summary["marked"] as? [String])?.count == marked, "\(until): \(result.stdout)")
        }
        let find = try cli.talkvault(["find", "--since", "someday"] + data)
        #expect(find.status == 64)
        #expect(find.stderr == "talkvault: --since: cannot read 'someday' as a time\n", "\(find.stderr)")
    }

    @Test func aFailureIsMappedOnceAndPrintedOnce() throws {
        // A reading command without a ledger: LedgerError.notFound is 66.
        let noLedger = try cli.talkvault(["find", "--data-dir", cli.dir.file("empty")])
        #expect(noLedger.status == 66)
        #expect(noLedger.stderr.hasPrefix("talkvault: no ledger at"), "\(noLedger.stderr)")
        #expect(noLedger.stderr.split(separator: "\n").count == 1, "\(noLedger.stderr)")
        let data = try ingested()
        // The exporter's own error for --force without --reason is a usage error, from the one table.
        let force = try cli.talkvault(["export", "--force"] + data)
        #expect(force.status == 64)
        #expect(force.stderr == "talkvault: --force needs --reason, which the manifest records\n", "\(force.stderr)")
        // A restorer's error: an unknown id is 66, named once.
        let unknown = try cli.talkvault(["restore", "no-such-id", "--to", "out"] + data)
        #expect(unknown.status == 66)
        #expect(unknown.stderr == "talkvault: message no-such-id is not in the ledger\n", "\(unknown.stderr)")
        // A missing channel secret is a config problem (78), said once.
        let serve = try cli.talkvault(["serve", "--port", "0"] + data, environment: ["TALKVAULT_CHANNEL_SECRET": "", "CREDENTIALS_DIRECTORY": cli.dir.file("no-credentials")])
        #expect(serve.status == 78)
        #expect(serve.stderr.hasPrefix("talkvault: no channel-secret: set TALKVAULT_CHANNEL_SECRET"), "\(serve.stderr)")
        #expect(serve.stderr.split(separator: "\n").count == 1, "\(serve.stderr)")
        // The parser's own: --version and help exit 0.
        let version = try cli.talkvault(["--version"])
        #expect(version.status == 0 && version.stdout == "0.1.0\n")
    }

    @Test func theSimulatorsEnumOptionsAreTheParsersToo() throws {
        let cases: [(option: String, bad: String, valid: [String], help: String)] = [
            ("--mark-as-read-mode", "sometimes", ["auto", "manual"], "(values: auto, manual; default: manual)"),
            ("--chat-mode", "robot", ["chat", "bot"], "(values: chat, bot; default: chat)"),
            ("--expired-status", "403", ["404", "410"], "(values: 404, 410; default: 404)"),
        ]
        let serveHelp = try run(SimulatorBinaryTests.binary, ["serve", "--help"])
        #expect(serveHelp.status == 0)
        let help = serveHelp.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        for (option, bad, valid, listed) in cases {
            let refused = try run(SimulatorBinaryTests.binary, ["serve", option, bad])
            #expect(refused.status == 64, "\(option)")
            #expect(refused.stderr.contains("The value '\(bad)' is invalid for '\(option)"), "\(refused.stderr)")
            for value in valid { #expect(refused.stderr.contains("'\(value)'"), "\(option): \(value)") }
            #expect(help.contains(listed), "\(option)")
        }
    }
}
