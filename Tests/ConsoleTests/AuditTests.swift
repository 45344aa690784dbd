import AuditTrail
import Foundation
import Testing

/// Every page that shows content and every download is in the audit trail under the user's
/// name, written before the content is sent.
@Suite struct AuditTests {
    @Test func viewingAConversationAndDownloadingContentAreRecordedUnderTheUsersName() async throws {
        let fixture = try ConsoleFixture()
        try await fixture.test { browser in
            try await browser.signIn("ana")
            #expect(try await browser.get("/chats/Usato").status == .ok)
            #expect(try await browser.get("/messages/m-file/content").status == .ok)
            #expect(try await browser.get("/messages/m-script").status == .ok)
            #expect(try await browser.post("/messages/m-img/read", [("csrf", browser.csrf)]).status == .seeOther)
            try await browser.fresh().signIn("ana", password: "not the password")
        }
        var entries: [AuditEntry] = []
        try AuditLog(dataDir: fixture.dataDir).entries { entries.append($0) }
        func has(_ action: String, _ target: String, who: String = "ana", outcome: String = "ok") -> Bool {
            entries.contains { $0.who == who && $0.action == action && $0.target.contains(target) && $0.outcome.hasPrefix(outcome) }
        }
        #expect(has("console conversation", "Usato"), "\(entries.map { "\($0.who) \($0.action) \($0.target)" })")
        #expect(has("console download", "m-file"))
        #expect(has("console message", "m-script"))
        #expect(has("mark-read", "m-img"), "a change reads as the CLI's own action")
        #expect(entries.contains { $0.who == "ana" && $0.action == "console sign in" && $0.outcome.hasPrefix("failed") })
        #expect(AuditLog(dataDir: fixture.dataDir).verify().problem == nil, "the chain holds")
    }

    @Test func theAuditPageShowsTheTrailEscaped() async throws {
        let fixture = try ConsoleFixture()
        try await fixture.test { browser in
            // A user name is whatever was typed into the form: recorded, and shown as text.
            try await browser.signIn("<script>alert(1)</script>", password: "not the password")
            try await browser.signIn("audrey")
            let page = try await browser.get("/audit")
            #expect(page.status == .ok)
            #expect(page.text.contains("console audit"))
            #expect(page.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
            #expect(!page.text.contains("<script>"))
        }
    }
}
