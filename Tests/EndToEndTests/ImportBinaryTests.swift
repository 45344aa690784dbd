import Foundation
import Testing
import TestSupport

extension SweepCLITests {
    static func jsonLines(_ path: String) throws -> [[String: Any]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    static func object(_ text: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
    }

    /// The demo's data dir, then the OA Manager backup the simulator wrote for the same chats:
    /// every customer's row of a chat the ledger knows by name matches its captured message,
    /// the account's rows come in as outgoing, `--map` settles the names the ledger has not
    /// fetched, and the archives hold it all.
    @Test func theDemosBackupImportsIntoTheDemosDataDirAndMatchesWhatWasCaptured() throws {
        let demo = try cli.talkvault(["demo", "--dir", "demo", "--messages", "80"])
        #expect(demo.status == 0, "\(demo.stderr)")
        let dir = cli.dir.file("demo")
        let truth = try Self.jsonLines(dir + "/oa-backup-shop-a.truth.jsonl")
        let chats = Dictionary(try Self.jsonLines(dir + "/ground-truth.jsonl").map { ($0["id"] as! String, $0["chat_id"] as! String) }) { a, _ in a }
        let users = truth.filter { $0["sender"] as? String == "User" }, accounts = truth.count - users.count
        #expect(!users.isEmpty && accounts > 0)

        let first = try cli.talkvault(["import", "--data-dir", "demo", "--channel", "shop-a", "demo/oa-backup-shop-a.zip", "--json"])
        #expect(first.status == 0, "\(first.stderr)")
        let report = try Self.object(first.stdout)
        #expect(report["rows"] as? Int == truth.count && report["rejectedFiles"] as? Int == 0)
        #expect(report["newOutgoing"] as? Int == accounts, "every account row is a reply no webhook carried")
        let unmatched = report["unmatchedChats"] as! [[String: Any]]
        let held = unmatched.reduce(0) { $0 + ($1["rows"] as! Int) }
        // Every customer's row in a chat found by name is its captured message.
        #expect(report["matched"] as? Int == users.count - users.filter { row in unmatched.contains { $0["name"] as? String == Self.chatName(row) } }.count)

        // Settle every unmatched name with the chat the truth says; the held copies merge.
        var maps: [String] = []
        for chat in unmatched {
            let name = chat["name"] as! String
            let row = try #require(users.first { Self.chatName($0) == name }, "a file of only replies: \(name)")
            maps += ["--map", "\(name)=\(try #require(chats[row["message_id"] as! String]))"]
        }
        let settle = try cli.talkvault(["import", "--data-dir", "demo", "--channel", "shop-a", "demo/oa-backup-shop-a.zip", "--json"] + maps)
        #expect(settle.status == 0, "\(settle.stderr)")
        let settled = try Self.object(settle.stdout)
        #expect((settled["perFile"] as! [[String: Any]]).allSatisfy { $0["outcome"] as? String == "already_imported" })
        let moved = (settled["settled"] as! [[String: Any]]).reduce(0) { $0 + ($1["moved"] as! Int) + ($1["merged"] as! Int) }
        #expect(moved == held + unmatched.count, "every held row, and each name's backup file, went to its chat")
        #expect(try cli.talkvault(["find", "--data-dir", "demo", "--chat", "unmatched:", "--count"]).stdout.hasPrefix("0"))
        let outgoing = try cli.talkvault(["find", "--data-dir", "demo", "--channel", "shop-a", "--direction", "out", "--count"])
        #expect(outgoing.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == String(accounts))

        // Both sides in one thread, the replies marked as imported.
        let chat = try #require(chats[users[0]["message_id"] as! String])
        let thread = try cli.talkvault(["thread", "--data-dir", "demo", chat])
        #expect(thread.status == 0 && thread.stdout.contains("← ") && thread.stdout.contains("── backup "), "\(thread.stdout)")

        // The files' bytes and the new messages are archived and verify.
        #expect(try cli.talkvault(["pack", "--data-dir", "demo"]).status == 0)
        let verify = try cli.talkvault(["verify", "--data-dir", "demo", "--deep"])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        let again = try cli.talkvault(["import", "--data-dir", "demo", "--channel", "shop-a", "demo/oa-backup-shop-a.zip", "--json"])
        #expect(try Self.object(again.stdout)["newIncoming"] as? Int == 0)
    }

    static func chatName(_ row: [String: Any]) -> String {
        let file = row["file"] as! String
        return String(file.dropLast(4).split(separator: "_", maxSplits: 2)[2])
    }

    /// `kill -9` in the middle of an import of many files: the next run finishes it, and the
    /// ledger ends as a clean import's, nothing half-imported and nothing twice.
    /// Synchronous on purpose: the wait for the moment to kill must not queue behind other
    /// tests' tasks, and no server runs in this process.
    @Test func anImportKilledMidwayFinishesOnTheNextRunWithoutDuplicates() throws {
        let files = cli.dir.file("backups")
        try FileManager.default.createDirectory(atPath: files, withIntermediateDirectories: true)
        for chat in 0..<400 {
            var csv = "アカウント名,店\r\nタイムゾーン,'+09:00\r\nダウンロード日時,2025/09/18 14:30\r\n送信者タイプ,送信者名,送信日,送信時刻,内容\r\n"
            for row in 0..<40 {
                csv += "\(row % 3 == 0 ? "Account" : "User"),客\(chat),2025/09/1\(2 + row % 5),10:\(String(format: "%02d", row)):00,メッセージ \(row)\r\n"
            }
            try Data(csv.utf8).write(to: URL(fileURLWithPath: "\(files)/20250912_20250918_客\(chat).csv"))
        }
        let killed = Process()
        killed.executableURL = URL(fileURLWithPath: CLITests.binary)
        killed.arguments = ["import", "--data-dir", cli.dir.file("crashed"), files]
        killed.standardOutput = FileHandle.nullDevice
        killed.standardError = FileHandle.nullDevice
        try killed.run()
        // Killed once some files are in and before all are: in the middle, wherever that lands.
        let staging = cli.dir.file("crashed/staging/import")
        for _ in 0..<1_000 where ((try? FileManager.default.contentsOfDirectory(atPath: staging))?.count ?? 0) < 40 {
            usleep(2_000)
        }
        kill(killed.processIdentifier, SIGKILL)
        killed.waitUntilExit()
        #expect(killed.terminationReason == .uncaughtSignal, "the import was still running when it was killed")
        let resumed = try cli.talkvault(["import", "--data-dir", "crashed", "backups", "--json"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let clean = try cli.talkvault(["import", "--data-dir", "clean", "backups", "--json"])
        #expect(clean.status == 0)
        func ids(_ dataDir: String) throws -> [String] {
            try cli.talkvault(["find", "--data-dir", dataDir, "--json"]).stdout.split(separator: "\n").map {
                try Self.object(String($0))["id"] as! String
            }.sorted()
        }
        let expected = try ids("clean")
        #expect(expected.count == 400 * 41, "every row and every file")
        #expect(try ids("crashed") == expected)
        let staged = try FileManager.default.contentsOfDirectory(atPath: cli.dir.file("crashed/staging/import"))
        #expect(staged.count == 400 && staged.allSatisfy { $0.hasPrefix("oab-") }, "one staged file per file, no leftovers")
    }
}
