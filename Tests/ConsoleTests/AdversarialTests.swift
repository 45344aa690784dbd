import Accounts
import AuditTrail
@testable import Console
import DurableFile
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// Defects found by trying to break the console, each kept broken-no-more by a test.
@Suite struct AdversarialTests {
    /// Sign-ins sent all at once used to pass the limit's check together, before any of their
    /// failures was counted: 5 allowed became dozens.
    @Test func signInsSentInParallelCannotOutrunTheLimit() async throws {
        let fixture = try ConsoleFixture()
        try await fixture.test({
            $0.signInFailuresPerUser = 3
            $0.signInFailuresPerAddress = 100
        }) { browser in
            let token = try #require(try await browser.get("/login").csrf)
            let client = browser.client
            let body = Browser.form([("csrf", token), ("username", "ana"), ("password", "not the password")])
            let headers: HTTPFields = [.cookie: "tv_login=\(token)", .contentType: "application/x-www-form-urlencoded"]
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<24 {
                    group.addTask { try await client.execute(uri: "/login", method: .post, headers: headers, body: ByteBuffer(string: body)).status }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .unauthorized }.count == 3, "\(statuses)")
            #expect(statuses.filter { $0 == .tooManyRequests }.count == 21)
            // The right password from another browser is refused too: the user's limit is reached.
            #expect(try await browser.fresh().signIn("ana").status == .tooManyRequests)
        }
    }

    /// bcrypt used to run on Swift's cooperative pool, where the pages run too: a few sign-ins
    /// at once held every thread of it, and even /healthz waited for them. Now checks blocked on
    /// more threads than the pool has leave it free: a task on it still runs. (Shown without a
    /// clock: a valve off the pool lets the checks go after 30 s, and a probe that needed it
    /// fails the test.)
    @Test func pagesAreServedWhileSignInsCheckPasswords() async throws {
        let count = 4 * max(2, ProcessInfo.processInfo.activeProcessorCount)
        let checks = PasswordChecks(parallel: count, limit: count)
        let gate = DispatchSemaphore(value: 0)
        let probed = Flag(), valveOpened = Flag()
        DispatchQueue.global().asyncAfter(deadline: .now() + 30) {
            if !probed.isSet { valveOpened.set() }
            for _ in 0..<count { gate.signal() }
        }
        try await withThrowingTaskGroup(of: Int?.self) { group in
            for _ in 0..<count { group.addTask { try await checks.run { gate.wait(); return 1 } } }
            while checks.inHandCount < count && !valveOpened.isSet { try await Task.sleep(for: .milliseconds(5)) }
            #expect(await Probe().answer() == 42)
            probed.set()
            #expect(!valveOpened.isSet, "a task on the cooperative pool waited for blocked password checks")
            for _ in 0..<count { gate.signal() }
            for try await result in group { #expect(result == 1) }
        }
    }

    /// Past its limit of checks in hand, a check is not started (the sign-in answers 503).
    @Test func passwordChecksPastTheirLimitAreNotStarted() async throws {
        let checks = PasswordChecks(parallel: 1, limit: 2)
        let release = DispatchSemaphore(value: 0)
        async let first = checks.run { release.wait(); return 1 }
        async let second = checks.run { release.wait(); return 2 }
        try await Task.sleep(for: .milliseconds(100))
        #expect(try await checks.run { 3 } == nil)
        release.signal()
        release.signal()
        #expect(try await [first, second].compactMap { $0 }.sorted() == [1, 2])
        #expect(try await checks.run { 4 } == 4, "a place is free again")
    }

    /// The name typed is cut to 64 scalars before it is counted or recorded: cut by characters,
    /// one "a" with 2,000 combining marks went into the trail whole.
    @Test func aLongTypedNameIsCutBeforeItIsRecorded() async throws {
        let fixture = try ConsoleFixture()
        let name = "a" + String(repeating: "\u{301}", count: 2000)
        try await fixture.test { browser throws in
            #expect(try await browser.signIn(name, password: "not the password").status == .unauthorized)
        }
        var entries: [AuditEntry] = []
        try AuditLog(dataDir: fixture.dataDir).entries { entries.append($0) }
        let entry = try #require(entries.last { $0.action == "console sign in" })
        #expect(entry.who.unicodeScalars.count == 64)
    }

    /// A right password does not count against the address, and the limits still work after it.
    @Test func aRightPasswordIsNotCountedAgainstTheAddress() async throws {
        let fixture = try ConsoleFixture()
        try await fixture.test({
            $0.signInFailuresPerUser = 100
            $0.signInFailuresPerAddress = 2
        }) { browser throws in
            for _ in 0..<3 { #expect(try await browser.fresh().signIn("ana").status == .seeOther) }
            #expect(try await browser.fresh().signIn("sam", password: "not the password").status == .unauthorized)
            #expect(try await browser.fresh().signIn("sam").status == .seeOther, "one failure of two")
            #expect(try await browser.fresh().signIn("sam", password: "not the password").status == .unauthorized)
            #expect(try await browser.fresh().signIn("ana").status == .tooManyRequests)
        }
    }

    /// A change made while the audit trail cannot be written used to be made, and then answer
    /// 500 with no entry: now the trail is checked first, as the CLI does.
    @Test func aChangeTheTrailCannotRecordIsNotMade() async throws {
        let fixture = try ConsoleFixture()
        try await fixture.test { browser in
            try await browser.signIn("ana")
            let log = AuditLog(dataDir: fixture.dataDir).path
            try FileManager.default.moveItem(atPath: log, toPath: log + ".aside")
            try FileManager.default.createDirectory(atPath: log, withIntermediateDirectories: false)
            defer {
                try? FileManager.default.removeItem(atPath: log)
                try? FileManager.default.moveItem(atPath: log + ".aside", toPath: log)
            }
            #expect(try await browser.post("/messages/m-img/read", [("csrf", browser.csrf)]).status == .internalServerError)
            #expect(try await browser.post("/holds", [("csrf", browser.csrf), ("name", "case-1"), ("reason", "litigation")]).status
                    == .internalServerError)
            #expect(try await browser.post("/messages/m-img/tags", [("csrf", browser.csrf), ("tag", "evidence")]).status
                    == .internalServerError)
            try AccessTests.expectNothingChanged(fixture)
        }
    }

    /// A change that did nothing (a hold name taken, no such hold, no such message) used to be
    /// recorded as `ok`: a trail saying ana placed a hold someone else placed.
    @Test func aRefusedChangeIsRecordedAsFailed() async throws {
        let fixture = try ConsoleFixture()
        try await fixture.test { browser in
            try await browser.signIn("ana")
            #expect(try await browser.post("/holds", [("csrf", browser.csrf), ("name", "case-1"), ("reason", "litigation")]).status == .seeOther)
            #expect(try await browser.post("/holds", [("csrf", browser.csrf), ("name", "case-1"), ("reason", "again")]).status == .badRequest)
            #expect(try await browser.post("/holds/nosuch/release", [("csrf", browser.csrf), ("reason", "x")]).status == .badRequest)
            #expect(try await browser.post("/messages/nosuch/read", [("csrf", browser.csrf)]).status == .badRequest)
            #expect(try await browser.post("/messages/nosuch/tags", [("csrf", browser.csrf), ("tag", "evidence")]).status == .badRequest)
        }
        var entries: [AuditEntry] = []
        try AuditLog(dataDir: fixture.dataDir).entries { entries.append($0) }
        func outcome(_ action: String, _ target: String, reason: String? = nil) -> [String] {
            entries.filter { $0.action == action && $0.target.contains(target) && (reason == nil || $0.reason == reason) }.map(\.outcome)
        }
        #expect(outcome("hold add", "case-1", reason: "litigation") == ["ok"])
        #expect(outcome("hold add", "case-1", reason: "again").allSatisfy { $0.hasPrefix("failed") } && outcome("hold add", "case-1", reason: "again").count == 1)
        #expect(outcome("hold release", "nosuch").count == 1 && outcome("hold release", "nosuch").allSatisfy { $0.hasPrefix("failed") })
        #expect(outcome("mark-read", "nosuch").count == 1 && outcome("mark-read", "nosuch").allSatisfy { $0.hasPrefix("failed") })
        #expect(outcome("tag add", "nosuch").count == 1 && outcome("tag add", "nosuch").allSatisfy { $0.hasPrefix("failed") })
    }

    /// A hold's name may be Japanese (`TagName`); its release form's path arrives percent-encoded.
    @Test func aHoldNamedInJapaneseIsReleasedFromTheConsole() async throws {
        let fixture = try ConsoleFixture()
        try await fixture.test { browser in
            try await browser.signIn("ana")
            #expect(try await browser.post("/holds", [("csrf", browser.csrf), ("name", "訴訟"), ("reason", "litigation")]).status == .seeOther)
            let released = try await browser.post("/holds/%E8%A8%B4%E8%A8%9F/release", [("csrf", browser.csrf), ("reason", "settled")])
            #expect(released.status == .seeOther)
            #expect(try fixture.ledger.retentionStore.holds().first?.isActive == false)
        }
    }

    /// `//chats` routes like `/chats`: its language link must not become `//chats…`, a link to
    /// the host `chats`.
    @Test func theLanguageLinkOfADoubleSlashPathStaysOnTheConsole() async throws {
        let fixture = try ConsoleFixture()
        try await fixture.test { browser in
            try await browser.signIn("ana")
            for path in ["//chats", "//chats/evil.example", "///search?q=x"] {
                let page = try await browser.get(path)
                let link = try #require(Reply.firstMatch(#"class="lang" href="([^"]*)""#, in: page.text), "\(path): \(page.status)")
                #expect(link.hasPrefix("/") && !link.hasPrefix("//") && link.contains("lang=en"), "\(path): \(link)")
            }
        }
    }

    /// The exports page's notice says a week and a number, never text from the link.
    @Test func theExportNoticeSaysOnlyANumber() async throws {
        let fixture = try ConsoleFixture()
        try await fixture.test { browser in
            try await browser.signIn("ana")
            let page = try await browser.get("/exports?lang=en&made=2026-W46&rows=0.%20Your%20session%20expired,%20call%20us")
            #expect(page.status == .ok)
            #expect(!page.text.contains("call us"))
            #expect(page.text.contains("The export of 2026-W46 was made: ? rows."))
            #expect(try await browser.get("/exports?lang=en&made=2026-W46&rows=12").text.contains("made: 12 rows."))
        }
    }

    /// A delivered week's CSV changed on disk used to be served as it was, 200 and whole; its
    /// SHA-256 is in the ledger.
    @Test func aChangedExportIsNotServedAsTheDeliveredOne() async throws {
        let fixture = try ConsoleFixture()
        var bytes = try #require(FileManager.default.contents(atPath: fixture.exportCSV))
        bytes[bytes.count - 3] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: fixture.exportCSV))
        let start = String(decoding: bytes.prefix(40), as: UTF8.self)
        try await fixture.test { browser in
            try await browser.signIn("ana")
            let reply = try await browser.get("/exports/\(ConsoleFixture.week).csv")
            #expect(reply.status == .conflict)
            #expect(!reply.text.contains(start))
            #expect(try await browser.get("/exports/\(ConsoleFixture.week).manifest.json").status == .ok)
        }
    }

    /// A file read while it changes: the stream checks the hash too, and ends short.
    @Test func aFileStreamWithTheWrongHashFailsAfterItsLastPiece() throws {
        let fixture = try ConsoleFixture()
        var pieces = 0
        #expect(throws: ContentMismatch.self) {
            try ContentStream.file(fixture.exportCSV, sha256: String(repeating: "0", count: 64))({ _ in pieces += 1 })
        }
        #expect(pieces > 0)
        let right = try FileDigest.sha256(ofFile: fixture.exportCSV).sha256
        #expect(throws: Never.self) { try ContentStream.file(fixture.exportCSV, sha256: right)({ _ in }) }
    }

    /// A name that only starts like a loopback address is not one.
    @Test func aTrustedHeaderNeedsALoopbackAddressNotANameLikeOne() throws {
        let fixture = try ConsoleFixture()
        for host in ["127.0.0.1.example.com", "127.evil.example", "127."] {
            #expect(throws: ConsoleError.trustedHeaderNeedsLoopback(host: host)) {
                try fixture.console { $0.host = host; $0.trustedHeader = "X-Remote-User" }
            }
        }
        for host in ["127.0.0.2", "127.1.2.3"] {
            #expect(throws: Never.self) { try fixture.console { $0.host = host; $0.trustedHeader = "X-Remote-User" } }
        }
    }
}

/// A hop onto the cooperative pool.
private actor Probe {
    func answer() -> Int { 42 }
}
