import Foundation
import HTTPTypes
import Testing

/// Who may reach what: nobody without a session, and each role its own table.
@Suite struct AccessTests {
    static let week = "\(ConsoleFixture.week)"
    static let readable = ["/", "/chats", "/chats/Usato", "/search?q=alert", "/messages/m-script", "/messages/m-file/content", "/lost"]
    static let auditOnly = ["/exports", "/holds", "/audit", "/exports/\(week).csv", "/exports/\(week).manifest.json"]

    @Test func withoutASessionPagesGoToTheLoginAndComeBackAndDownloadsAre401() async throws {
        let fixture = try ConsoleFixture()
        try await fixture.test { browser in
            for page in ["/", "/chats", "/chats/Usato", "/search?q=x", "/search?q=a%26b%3Dc&kind=text", "/messages/m-script", "/exports",
                         "/lost", "/holds", "/audit"] {
                let reply = try await browser.get(page)
                #expect(reply.status == .seeOther, "\(page)")
                let location = try #require(reply.location, "\(page)")
                #expect(location.hasPrefix("/login?next="), "\(page) → \(location)")
                #expect(!reply.text.contains("alert"), "nothing of the page is sent")
                // The login page carries the page asked for in its form, whole.
                let login = try await browser.get(location)
                let next = Reply.firstMatch(#"name="next" value="([^"]*)""#, in: login.text).map(Reply.unescape)
                #expect(next == (page.removingPercentEncoding ?? page) || next == page, "\(page) → \(next ?? "nil")")
            }
            for download in ["/messages/m-file/content", "/messages/m-photo/content?inline=1", "/exports/\(Self.week).csv",
                             "/exports/\(Self.week).manifest.json"] {
                let reply = try await browser.get(download)
                #expect(reply.status == .unauthorized, "\(download)")
                #expect(!reply.bytes.starts(with: Array("%PDF".utf8)))
            }
            for action in ["/messages/m-img/read", "/messages/m-img/tags", "/holds", "/exports"] {
                #expect(try await browser.post(action, [("tag", "x"), ("name", "x"), ("reason", "x")]).status == .seeOther, "\(action)")
            }
            #expect(try fixture.ledger.retentionStore.holds().isEmpty)
        }
    }

    @Test func signedInAfterTheRedirectTheUserLandsOnThePageAskedFor() async throws {
        let fixture = try ConsoleFixture()
        try await fixture.test { browser in
            let location = try #require(try await browser.get("/search?q=alert&kind=text").location)
            let login = try await browser.get(location)
            let next = try #require(Reply.firstMatch(#"name="next" value="([^"]*)""#, in: login.text).map(Reply.unescape))
            let reply = try await browser.signIn("sam", next: next)
            #expect(reply.location == "/search?q=alert&kind=text")
        }
    }

    @Test func supportReadsAndRestoresButSeesNoAuditTrailExportsOrHoldsAndChangesNothing() async throws {
        let fixture = try ConsoleFixture()
        try await fixture.test { browser in
            try await browser.signIn("sam")
            for path in Self.readable { #expect(try await browser.get(path).status == .ok, "\(path)") }
            for path in Self.auditOnly { #expect(try await browser.get(path).status == .forbidden, "\(path)") }
            let home = try await browser.get("/")
            #expect(!home.text.contains("href=\"/audit\""), "no link to a page the role may not see")
            try await Self.expectEveryActionForbidden(browser)
            try Self.expectNothingChanged(fixture)
        }
    }

    @Test func anAuditorReadsEverythingAndChangesNothing() async throws {
        let fixture = try ConsoleFixture()
        try await fixture.test { browser in
            try await browser.signIn("audrey")
            for path in Self.readable + Self.auditOnly { #expect(try await browser.get(path).status == .ok, "\(path)") }
            let message = try await browser.get("/messages/m-img")
            #expect(!message.text.contains("action=\"/messages/m-img/read\""), "no form the role may not send")
            try await Self.expectEveryActionForbidden(browser)
            try Self.expectNothingChanged(fixture)
        }
    }

    @Test func aManagersActionsWorkWithTheFormTokenAndAreRefusedWithoutIt() async throws {
        let fixture = try ConsoleFixture()
        try await fixture.test { browser in
            try await browser.signIn("ana")
            for path in Self.readable + Self.auditOnly { #expect(try await browser.get(path).status == .ok, "\(path)") }
            // Without the token, or with another session's: 403, and nothing changes.
            let other = browser.fresh()
            try await other.signIn("ana")
            #expect(other.csrf != browser.csrf)
            for token in [nil, "", other.csrf] {
                let csrf = token.map { [("csrf", $0)] } ?? []
                #expect(try await browser.post("/messages/m-img/read", csrf).status == .forbidden)
                #expect(try await browser.post("/messages/m-img/tags", csrf + [("tag", "evidence")]).status == .forbidden)
                #expect(try await browser.post("/holds", csrf + [("name", "case-1"), ("reason", "litigation")]).status == .forbidden)
            }
            try Self.expectNothingChanged(fixture)

            let read = try await browser.post("/messages/m-img/read", [("csrf", browser.csrf)])
            #expect(read.status == .seeOther)
            #expect(read.location == "/messages/m-img")
            let detail = try #require(try fixture.ledger.searchStore.detail(id: "m-img"))
            #expect(detail.found.row.readAt != nil && detail.found.readBy == "ana")

            let tagged = try await browser.post("/messages/m-img/tags", [("csrf", browser.csrf), ("tag", "evidence")])
            #expect(tagged.status == .seeOther)
            #expect(try await browser.get("/search?tag=evidence").text.contains("around=m-img"))
            #expect(try await browser.post("/messages/m-img/tags", [("csrf", browser.csrf), ("tag", "<b>")]).status == .badRequest)

            let held = try await browser.post("/holds", [("csrf", browser.csrf), ("name", "case-1"), ("reason", "litigation"), ("chat", "Usato")])
            #expect(held.status == .seeOther)
            #expect(held.location == "/holds?done=added")
            let hold = try #require(try fixture.ledger.retentionStore.holds().first)
            #expect(hold.name == "case-1" && hold.createdBy == "ana" && hold.chats == ["Usato"] && hold.isActive)
            #expect(try await browser.post("/holds", [("csrf", browser.csrf), ("name", "case-1"), ("reason", "again")]).status == .badRequest,
                    "a name taken")
            let released = try await browser.post("/holds/case-1/release", [("csrf", browser.csrf), ("reason", "settled")])
            #expect(released.status == .seeOther)
            #expect(try fixture.ledger.retentionStore.holds().first?.isActive == false)
        }
    }

    /// Every POST action, with the session's own token: 403 for a role that may not.
    static func expectEveryActionForbidden(_ browser: Browser) async throws {
        let csrf = [("csrf", browser.csrf)]
        #expect(!browser.csrf.isEmpty)
        for (path, fields) in [("/messages/m-img/read", csrf), ("/messages/m-img/tags", csrf + [("tag", "evidence")]),
                               ("/holds", csrf + [("name", "case-1"), ("reason", "litigation")]),
                               ("/holds/case-1/release", csrf + [("reason", "x")]), ("/exports", csrf + [("week", "2026-W46")])] {
            #expect(try await browser.post(path, fields).status == .forbidden, "\(path)")
        }
    }

    static func expectNothingChanged(_ fixture: ConsoleFixture) throws {
        #expect(try fixture.ledger.retentionStore.holds().isEmpty)
        #expect(try fixture.ledger.searchStore.detail(id: "m-img")?.found.row.readAt == nil)
    }
}
