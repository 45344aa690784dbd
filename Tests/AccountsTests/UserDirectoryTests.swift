@testable import Accounts
import Foundation
import TalkVaultDomain
import Testing
import TestSupport

/// The console's users file: adding, listing, signing in, changing and removing users.
@Suite struct UserDirectoryTests {
    let dir = TempDir()
    var users: UserDirectory { UserDirectory(dataDir: dir.file("data"), cost: 4) }
    let t0 = Instant(milliseconds: 1_763_769_600_000)
    let t1 = Instant(milliseconds: 1_763_856_000_000)

    @Test func aMissingFileIsNoUsers() throws {
        #expect(try users.users().isEmpty)
        #expect(try users.authenticate(name: "ana", password: "correct horse battery") == nil)
        #expect(!FileManager.default.fileExists(atPath: dir.file("data")), "reading creates nothing")
    }

    @Test func addedUsersAreListedByNameAndSignIn() throws {
        let ana = try users.add(name: "ana", role: .support, password: "correct horse battery", at: t0)
        try users.add(name: "Carol.Audit@example.jp", role: .auditor, password: "パスワードは十二文字以上です", at: t1)
        try users.add(name: "bob", role: .manager, password: "another long secret", at: t1)
        let listed = try users.users()
        #expect(listed.map(\.name) == ["Carol.Audit@example.jp", "ana", "bob"])
        #expect(listed[1] == ana && ana.role == .support && ana.createdAt == t0 && ana.passwordChangedAt == t0)
        #expect(ana.passwordHash.hasPrefix("$2b$04$") && ana.passwordHash.count == 60)

        #expect(try users.authenticate(name: "ana", password: "correct horse battery") == ana)
        #expect(try users.authenticate(name: "Carol.Audit@example.jp", password: "パスワードは十二文字以上です")?.role == .auditor)
        #expect(try users.authenticate(name: "ana", password: "correct horse batterY") == nil, "a wrong password")
        #expect(try users.authenticate(name: "ana", password: "another long secret") == nil, "another user's password")
        #expect(try users.authenticate(name: "ANA", password: "correct horse battery") == nil, "names are exact")
        #expect(try users.authenticate(name: "nobody", password: "correct horse battery") == nil, "an unknown user")
        #expect(try users.authenticate(name: "ana", password: "correct horse battery\u{0}junk") == nil, "bcrypt would stop at the NUL")
        #expect(try users.authenticate(name: "ana", password: "") == nil)
    }

    @Test func aPasswordChangeReplacesTheOldOne() throws {
        try users.add(name: "ana", role: .support, password: "correct horse battery", at: t0)
        let changed = try users.setPassword(name: "ana", password: "a brand new passphrase", at: t1)
        #expect(changed.createdAt == t0 && changed.passwordChangedAt == t1 && changed.role == .support)
        #expect(try users.authenticate(name: "ana", password: "correct horse battery") == nil)
        #expect(try users.authenticate(name: "ana", password: "a brand new passphrase") == changed)
        #expect(throws: AccountsError.unknownUser("bob")) { try users.setPassword(name: "bob", password: "a brand new passphrase", at: t1) }
    }

    @Test func aRemovedUserCannotSignIn() throws {
        try users.add(name: "ana", role: .support, password: "correct horse battery", at: t0)
        try users.add(name: "bob", role: .manager, password: "another long secret", at: t0)
        #expect(try users.remove(name: "ana").name == "ana")
        #expect(try users.users().map(\.name) == ["bob"])
        #expect(try users.authenticate(name: "ana", password: "correct horse battery") == nil)
        #expect(throws: AccountsError.unknownUser("ana")) { try users.remove(name: "ana") }
        try users.remove(name: "bob")
        #expect(try users.users().isEmpty)
    }

    @Test func namesAreChecked() throws {
        let password = "correct horse battery"
        for name in ["", String(repeating: "a", count: 65), "-ana", ".ana", "ana smith", "ana/..", "アナ", "ana\n", "a:b", "a+b"] {
            #expect(throws: AccountsError.self, "\(name.debugDescription)") { try users.add(name: name, role: .support, password: password, at: t0) }
            do { try users.add(name: name, role: .support, password: password, at: t0) } catch {
                guard case .invalidName = error else { Issue.record("\(name.debugDescription): \(error)"); continue }
                #expect(!error.description.contains("\n"), "a name's line feed is escaped: \(error)")
            }
        }
        for name in ["a", String(repeating: "a", count: 64), "ana.sato@example.jp", "ana_sato-2", "9lives", "a."] {
            try users.add(name: name, role: .support, password: password, at: t0)
        }
        #expect(try users.users().count == 6)
        #expect(throws: AccountsError.duplicateUser("a")) { try users.add(name: "a", role: .manager, password: password, at: t0) }
        #expect(throws: AccountsError.duplicateUser("ana.sato@example.jp"), "names differing only in case are one") {
            try users.add(name: "Ana.Sato@example.jp", role: .manager, password: password, at: t0)
        }
    }

    @Test func passwordsAreCheckedAndNeverInAMessage() throws {
        let cases: [(String, AccountsError)] = [
            ("elevenchars", .passwordTooShort),
            ("", .passwordTooShort),
            ("十一文字のパスワードだ", .passwordTooShort),  // 11 characters, 33 bytes
            (String(repeating: "x", count: 73), .passwordTooLong),
            (String(repeating: "あ", count: 25), .passwordTooLong),  // 25 characters, 75 bytes
            ("correct horse\tbattery", .passwordHasControlCharacter),
            ("correct horse battery\n", .passwordHasControlCharacter),
            ("correct horse\u{7F}battery", .passwordHasControlCharacter),
            ("correct horse\u{0}battery", .passwordHasControlCharacter),
            ("correct horse\u{1B}[2Jbattery", .passwordHasControlCharacter),
        ]
        for (password, expected) in cases {
            #expect(throws: expected, "\(password.debugDescription)") { try users.add(name: "ana", role: .support, password: password, at: t0) }
            #expect(!expected.description.contains(password) || password.isEmpty)
        }
        // The limits themselves are fine: 12 characters, 72 bytes (24 three-byte characters).
        try users.add(name: "twelve", role: .support, password: "twelve chars", at: t0)
        try users.add(name: "bytes", role: .support, password: String(repeating: "あ", count: 24), at: t0)
        #expect(try users.authenticate(name: "bytes", password: String(repeating: "あ", count: 24)) != nil)
        #expect(try users.authenticate(name: "bytes", password: String(repeating: "あ", count: 24) + "x") == nil,
                "bcrypt reads 72 bytes; a longer password never matches")
        #expect(throws: AccountsError.passwordTooShort) { try users.setPassword(name: "twelve", password: "short", at: t1) }
    }

    @Test func theFileIsPrivateVersionedAndHoldsNoPassword() throws {
        let secret = "correct horse battery"
        try users.add(name: "ana", role: .support, password: secret, at: t0)
        try users.setPassword(name: "ana", password: "a brand new passphrase", at: t1)
        let attributes = try FileManager.default.attributesOfItem(atPath: users.path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let directory = try FileManager.default.attributesOfItem(atPath: dir.file("data/console"))
        #expect((directory[.posixPermissions] as? NSNumber)?.intValue == 0o700)
        #expect(users.path == dir.file("data/console/users.json"))
        let text = try String(contentsOfFile: users.path, encoding: .utf8)
        #expect(!text.contains(secret) && !text.contains("a brand new passphrase"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(json["version"] as? Int == 1)
        let entry = try #require((json["users"] as? [[String: Any]])?.first)
        #expect(entry["name"] as? String == "ana" && entry["role"] as? String == "support")
        #expect(entry["created_at_ms"] as? Int == Int(t0.milliseconds) && entry["password_changed_at_ms"] as? Int == Int(t1.milliseconds))
        #expect((entry["password_hash"] as? String)?.hasPrefix("$2b$04$") == true)
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.file("data/console")).sorted()
        #expect(left == ["users.json", "users.lock"], "no temporary file is left")
    }

    @Test func aDamagedFileIsAnErrorNamingItNeverNoUsers() throws {
        try users.add(name: "ana", role: .support, password: "correct horse battery", at: t0)
        let good = try String(contentsOfFile: users.path, encoding: .utf8)
        let damaged: [(String, String)] = [
            ("", "not a JSON object"),
            ("{\"users\": [", "not a JSON object"),
            ("[]", "not a JSON object"),
            ("{\"users\": []}", "no \"version\""),
            ("{\"users\": [], \"version\": 2}", "version 2"),
            (good.replacingOccurrences(of: "\"support\"", with: "\"admin\""), "unknown role \"admin\""),
            (good.replacingOccurrences(of: "\"ana\"", with: "\"-ana\""), "must not start"),
            (good.replacingOccurrences(of: "$2b$04$", with: "plain:"), "not a bcrypt hash"),
            (good.replacingOccurrences(of: "\"created_at_ms\"", with: "\"created\""), "created_at_ms"),
            (good.replacingOccurrences(of: "\"users\" : [", with: "\"users\" : [{\"name\": \"ANA\", \"role\": \"manager\", \"password_hash\": \"\(try users.users()[0].passwordHash)\", \"created_at_ms\": 0, \"password_changed_at_ms\": 0},"), "appears twice"),
        ]
        for (content, problem) in damaged {
            try Data(content.utf8).write(to: URL(fileURLWithPath: users.path))
            do {
                _ = try users.users()
                Issue.record("read \(content.prefix(40).debugDescription) as users")
            } catch {
                guard case .damaged(let path, _) = error else { Issue.record("\(error)"); continue }
                #expect(path == users.path)
                #expect(error.description.hasPrefix(users.path + ": damaged: ") && error.description.contains(problem), "\(error)")
            }
            #expect(throws: AccountsError.self) { try users.authenticate(name: "ana", password: "correct horse battery") }
            #expect(throws: AccountsError.self, "nothing is written over a damaged file") {
                try users.add(name: "bob", role: .manager, password: "another long secret", at: t0)
            }
            #expect(try String(contentsOfFile: users.path, encoding: .utf8) == content)
        }
    }

    @Test func aFileThatCannotBeOpenedIsAnError() throws {
        // `console` a file, not a directory: even root cannot open users.json in it.
        dir.write("data/console", "not a directory")
        #expect(throws: AccountsError.unreadable(path: users.path, reason: "Not a directory")) { try users.users() }
        #expect(throws: AccountsError.self) { try users.authenticate(name: "ana", password: "correct horse battery") }
        #expect(throws: AccountsError.self) { try users.add(name: "ana", role: .support, password: "correct horse battery", at: t0) }
    }

    /// `sudo talkvault user add` (root) leaves the files to the data dir's owner, so the console,
    /// which runs as that user, can still read them.
    @Test func filesRootWritesBelongToTheDataDirsOwner() throws {
        guard geteuid() == 0 else { return }
        try FileManager.default.createDirectory(atPath: dir.file("data"), withIntermediateDirectories: true)
        chown(dir.file("data"), 65534, 65534)
        try users.add(name: "ana", role: .support, password: "correct horse battery", at: t0)
        for path in ["data/console", "data/console/users.json", "data/console/users.lock"] {
            var info = stat()
            #expect(stat(dir.file(path), &info) == 0 && info.st_uid == 65534 && info.st_gid == 65534, "\(path)")
        }
    }

    @Test func anUnreadableFileIsAnError() throws {
        guard geteuid() != 0 else { return }  // root reads anything
        try users.add(name: "ana", role: .support, password: "correct horse battery", at: t0)
        chmod(users.path, 0)
        defer { chmod(users.path, 0o600) }
        #expect(throws: AccountsError.self) { try users.users() }
        do { _ = try users.users() } catch {
            guard case .unreadable(let path, _) = error else { Issue.record("\(error)"); return }
            #expect(path == users.path)
        }
    }

    @Test func twoThreadsAddingAtOnceBothLand() throws {
        let dataDir = dir.file("data")
        let password = "correct horse battery"
        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            // Each thread its own directory value, as two processes would be.
            let users = UserDirectory(dataDir: dataDir, cost: 4)
            for n in 0..<10 {
                do { try users.add(name: "t\(thread)-u\(n)", role: .support, password: password, at: Instant(milliseconds: 0)) } catch {
                    failures.add("\(error)")
                }
            }
        }
        #expect(failures.all.isEmpty, "\(failures.all)")
        #expect(try users.users().count == 40)
    }

    @Test func aSnapshotIsReadAgainOnlyWhenTheFileChanged() throws {
        let empty = try users.snapshot()
        #expect(empty.users.isEmpty && empty.stamp == nil)
        #expect(try users.refreshed(empty) == empty)
        try users.add(name: "ana", role: .support, password: "correct horse battery", at: t0)
        let one = try users.refreshed(empty)
        #expect(one.users.map(\.name) == ["ana"] && one.stamp != nil)
        #expect(try users.stamp() == one.stamp)
        #expect(try users.refreshed(one) == one)
        #expect(users.authenticate(name: "ana", password: "correct horse battery", in: one)?.name == "ana")
        #expect(users.authenticate(name: "ana", password: "wrong horse battery", in: one) == nil)
        #expect(one.user(named: "ana")?.role == .support && one.user(named: "bob") == nil)

        try users.setPassword(name: "ana", password: "a brand new passphrase", at: t1)
        let changed = try users.refreshed(one)
        #expect(changed.stamp != one.stamp && changed.users[0].passwordChangedAt == t1)
        try users.remove(name: "ana")
        #expect(try users.refreshed(changed).users.isEmpty)
    }

    /// An unknown name is checked against a dummy hash of the same cost as the users' own: a
    /// well-formed one, so bcrypt does its full work on it, and names cannot be found by timing
    /// sign-ins. (Checked by its shape, not by a clock: timings on a shared machine prove nothing.)
    @Test func anUnknownUserCostsAFullBcryptCheck() throws {
        let users = UserDirectory(dataDir: dir.file("data"), cost: 8)
        let ana = try users.add(name: "ana", role: .support, password: "correct horse battery", at: t0)
        for cost in [UInt8(4), 8, 12, 31] {
            let dummy = BcryptHash.dummy(cost: cost)
            #expect(BcryptHash.isWellFormed(dummy) && BcryptHash.cost(of: dummy) == cost, "\(dummy)")
        }
        #expect(BcryptHash.cost(of: ana.passwordHash) == 8)
        #expect(!BcryptHash.check("correct horse battery", against: BcryptHash.dummy(cost: 4)))
        #expect(users.authenticate(name: "nobody", password: "correct horse battery", in: try users.snapshot()) == nil)
    }

    @Test func whatEachRoleMayDo() {
        #expect(ConsoleRole.allCases.allSatisfy { $0.canRead && $0.canRestore })
        #expect(ConsoleRole.allCases.filter(\.canReadAudit) == [.manager, .auditor])
        for can in [\ConsoleRole.canExport, \.canMarkRead, \.canManageHolds, \.canTag, \.canChange] {
            #expect(ConsoleRole.allCases.filter { $0[keyPath: can] } == [.manager])
        }
        #expect(ConsoleRole(rawValue: "auditor") == .auditor && ConsoleRole(rawValue: "admin") == nil)
    }

    @Test func aUserPrintsWithoutItsHash() throws {
        let ana = try users.add(name: "ana", role: .support, password: "correct horse battery", at: t0)
        #expect("\(ana)" == "ana (support)")
    }
}

/// Errors collected from several threads.
final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    func add(_ failure: String) { lock.withLock { list.append(failure) } }
    var all: [String] { lock.withLock { list } }
}
