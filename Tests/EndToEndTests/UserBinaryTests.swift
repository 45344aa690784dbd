import Foundation
import Testing
import TestSupport

/// `talkvault user`: the console's users, added, listed, changed and removed through the
/// binary, the password always on standard input, every change in the audit trail.
@Suite struct UserBinaryTests {
    let cli = CLITests()
    let config = ["--config", "\(Fixtures.packageRoot)/retention.yaml", "--data-dir", "data"]

    func user(_ arguments: [String], password: String? = nil, at now: String? = nil) throws -> ProcessResult {
        try cli.talkvault(["user"] + arguments + config, environment: now.map { ["TALKVAULT_NOW": $0] } ?? [:],
                          stdin: password.map { Data(($0 + "\n").utf8) })
    }

    func listed() throws -> [[String: Any]] {
        let list = try user(["list", "--json"])
        #expect(list.status == 0, "\(list.stderr)")
        return try list.stdout.split(separator: "\n").map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
    }

    @Test func usersAreAddedListedChangedAndRemovedAndEachChangeIsAudited() throws {
        let passwords = ["correct horse battery", "another long secret", "a brand new passphrase"]
        let added = try user(["add", "ana", "--role", "support"], password: passwords[0])
        #expect(added.status == 0 && added.stdout == "user ana added as support\n", "\(added.stderr)")
        #expect(try user(["add", "bob.sato@example.jp", "--role", "manager"], password: passwords[1]).status == 0)

        let users = try listed()
        #expect(users.map { $0["name"] as? String } == ["ana", "bob.sato@example.jp"])
        #expect(users.map { $0["role"] as? String } == ["support", "manager"])
        #expect(users[0]["created_at"] as? String == "2016-05-10T09:00:00.000+09:00" && users[0]["password_changed_at"] as? String == "2016-05-10T09:00:00.000+09:00")
        #expect(Set(users[0].keys) == ["name", "role", "created_at", "password_changed_at"], "never the hash")
        let table = try user(["list"])
        #expect(table.status == 0 && table.stdout.hasPrefix("NAME ") && table.stdout.contains("\nana" + String(repeating: " ", count: 18) + "support  2016-05-10 09:00  2016-05-10 09:00\n"),
                "\(table.stdout)")

        let changed = try user(["passwd", "ana"], password: passwords[2], at: "2016-06-01T10:00:00+09:00")
        #expect(changed.status == 0 && changed.stdout == "password of ana changed\n", "\(changed.stderr)")
        let after = try listed()
        #expect(after[0]["created_at"] as? String == "2016-05-10T09:00:00.000+09:00" && after[0]["password_changed_at"] as? String == "2016-06-01T10:00:00.000+09:00")

        let file = cli.dir.file("data/console/users.json")
        let text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(passwords.allSatisfy { !text.contains($0) } && text.contains("\"version\" : 1") && text.contains("$2b$12$"))
        #expect((try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? NSNumber)?.intValue == 0o600)

        let removed = try user(["remove", "ana"])
        #expect(removed.status == 0 && removed.stdout == "user ana (support) removed\n", "\(removed.stderr)")
        #expect(try listed().map { $0["name"] as? String } == ["bob.sato@example.jp"])
        let again = try user(["remove", "ana"])
        #expect(again.status == 66 && again.stderr == "talkvault: no console user named \"ana\"\n", "\(again.stderr)")
        let ghost = try user(["passwd", "ghost"], password: passwords[0])
        #expect(ghost.status == 66 && ghost.stderr.contains("no console user named \"ghost\""), "\(ghost.stderr)")
        let taken = try user(["add", "Bob.Sato@example.jp", "--role", "auditor"], password: passwords[0])
        #expect(taken.status == 64 && taken.stderr == "talkvault: a console user named bob.sato@example.jp exists\n", "\(taken.stderr)")

        let audit = try cli.talkvault(["audit", "--json"] + config)
        #expect(audit.status == 0, "\(audit.stderr)")
        let entries = try audit.stdout.split(separator: "\n").map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
            .filter { ($0["action"] as? String)?.hasPrefix("user ") == true }
        #expect(entries.map { $0["action"] as? String } == ["user add", "user add", "user passwd", "user remove", "user remove", "user passwd", "user add"])
        #expect(entries[0]["target"] as? [String] == ["ana", "--role support"] && entries[0]["outcome"] as? String == "ok")
        #expect(entries[2]["target"] as? [String] == ["ana"] && entries[3]["outcome"] as? String == "ok")
        #expect((entries[4]["outcome"] as? String)?.hasPrefix("failed (exit 66)") == true)
        #expect((entries[6]["outcome"] as? String)?.hasPrefix("failed (exit 64)") == true)
        let log = try String(contentsOfFile: cli.dir.file("data/audit/audit.jsonl"), encoding: .utf8)
        #expect(passwords.allSatisfy { !log.contains($0) }, "no password in the audit trail")
        #expect(try cli.talkvault(["audit", "--verify"] + config).status == 0)
    }

    @Test func aPasswordOrNameThatBreaksTheRulesExits64AndChangesNothing() throws {
        let short = try user(["add", "ana", "--role", "support"], password: "tooshort")
        #expect(short.status == 64 && short.stderr == "talkvault: the password is too short: at least 12 characters\n", "\(short.stderr)")
        let long = try user(["add", "ana", "--role", "support"], password: String(repeating: "長", count: 25))
        #expect(long.status == 64 && long.stderr.contains("at most 72 bytes"), "\(long.stderr)")
        let tab = try user(["add", "ana", "--role", "support"], password: "correct\thorse battery")
        #expect(tab.status == 64 && tab.stderr.contains("control character") && !tab.stderr.contains("horse"), "\(tab.stderr)")
        let none = try user(["add", "ana", "--role", "support"])
        #expect(none.status == 64 && none.stderr.contains("no password on standard input"), "\(none.stderr)")
        for name in [".ana", "ana smith", "アナ", String(repeating: "a", count: 65)] {
            let bad = try user(["add", name, "--role", "support"], password: "correct horse battery")
            #expect(bad.status == 64 && bad.stderr.contains("invalid user name"), "\(name): \(bad.stderr)")
        }
        let role = try user(["add", "ana", "--role", "admin"], password: "correct horse battery")
        #expect(role.status == 64 && role.stderr.contains("manager") && role.stderr.contains("auditor"), "\(role.stderr)")
        #expect(!FileManager.default.fileExists(atPath: cli.dir.file("data/console/users.json")))
        let empty = try user(["list"])
        #expect(empty.status == 0 && empty.stdout.isEmpty && empty.stderr.contains("no console users"))

        // A line ending in CR LF is one password, as from a file written on Windows.
        #expect(try user(["add", "ana", "--role", "auditor"], password: "correct horse battery\r").status == 0)
        let passwd = try user(["passwd", "ana"], password: "short")
        #expect(passwd.status == 64 && passwd.stderr.contains("too short"))
    }

    @Test func aDamagedUsersFileIsNamedNotTakenForNoUsers() throws {
        #expect(try user(["add", "ana", "--role", "support"], password: "correct horse battery").status == 0)
        let file = cli.dir.file("data/console/users.json")
        try Data("{\"users\": [".utf8).write(to: URL(fileURLWithPath: file))
        let list = try user(["list", "--json"])
        #expect(list.status == 65 && list.stdout.isEmpty && list.stderr.contains(file + ": damaged"), "\(list.stderr)")
        let add = try user(["add", "bob", "--role", "manager"], password: "another long secret")
        #expect(add.status == 65, "\(add.stderr)")
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "{\"users\": [", "nothing is written over it")
    }

    @Test func addsRunAtOnceAllLand() throws {
        let results = Results()
        let (binary, directory, config) = (CLITests.binary, cli.dir.path, config)
        DispatchQueue.concurrentPerform(iterations: 4) { n in
            results.set(n, try? run(binary, ["user", "add", "user\(n)", "--role", "support"] + config,
                                    environment: ["TALKVAULT_DATA_DIR": "", "TALKVAULT_NOW": "2016-05-10T09:00:00+09:00"],
                                    stdin: Data("correct horse battery \(n)\n".utf8), cwd: directory))
        }
        for n in 0..<4 { #expect(results.get(n)?.status == 0, "\(results.get(n)?.stderr ?? "did not run")") }
        #expect(try listed().compactMap { $0["name"] as? String } == ["user0", "user1", "user2", "user3"])
    }
}

/// Each process's result, set from several threads.
private final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Int: ProcessResult] = [:]
    func set(_ n: Int, _ result: ProcessResult?) { lock.withLock { results[n] = result } }
    func get(_ n: Int) -> ProcessResult? { lock.withLock { results[n] } }
}
