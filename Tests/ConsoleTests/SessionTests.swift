import Accounts
import HTTPTypes
import LedgerTestSupport
import TalkVaultDomain
import Testing

/// Sessions end after their idle time and their lifetime on the console's clock, when their
/// user is removed, and on sign-out.
@Suite struct SessionTests {
    @Test func aSessionEndsAfterItsIdleTimeButEachRequestKeepsItAlive() async throws {
        let fixture = try ConsoleFixture()
        try await fixture.test({ $0.sessionIdle = RetentionDuration(seconds: 60) }) { browser in
            try await browser.signIn("ana")
            for _ in 0..<3 {
                fixture.clock.advance(seconds: 50)
                #expect(try await browser.get("/chats").status == .ok, "each request resets the idle time")
            }
            fixture.clock.advance(seconds: 60)
            let reply = try await browser.get("/chats")
            #expect(reply.status == .seeOther)
            #expect(reply.location?.hasPrefix("/login?next=") == true)
            #expect(try await browser.get("/messages/m-file/content").status == .unauthorized)
        }
    }

    @Test func aSessionEndsAfterItsLifetimeHoweverBusy() async throws {
        let fixture = try ConsoleFixture()
        try await fixture.test({
            $0.sessionIdle = RetentionDuration(seconds: 60)
            $0.sessionLifetime = RetentionDuration(seconds: 120)
        }) { browser in
            try await browser.signIn("ana")
            fixture.clock.advance(seconds: 50)
            #expect(try await browser.get("/").status == .ok)
            fixture.clock.advance(seconds: 50)
            #expect(try await browser.get("/").status == .ok)
            fixture.clock.advance(seconds: 50)
            #expect(try await browser.get("/").status == .seeOther)
        }
    }

    @Test func aRemovedUserIsSignedOutAtTheNextRequestAndStaysOutWhenAddedAgain() async throws {
        let fixture = try ConsoleFixture()
        try await fixture.test { browser in
            try await browser.signIn("sam")
            #expect(try await browser.get("/chats").status == .ok)
            try fixture.users.remove(name: "sam")
            #expect(try await browser.get("/chats").status == .seeOther)
            #expect(try await browser.get("/messages/m-file/content").status == .unauthorized)
            // The session is gone, not just refused while the name is missing.
            try fixture.users.add(name: "sam", role: .support, password: ConsoleFixture.password, at: LedgerHarness.now)
            #expect(try await browser.get("/chats").status == .seeOther)
            #expect(try await browser.signIn("sam").status == .seeOther)
            #expect(try await browser.get("/chats").status == .ok)
        }
    }

    @Test func signingOutNeedsTheFormTokenAndEndsTheSession() async throws {
        let fixture = try ConsoleFixture()
        try await fixture.test { browser in
            try await browser.signIn("ana")
            let session = try #require(browser.cookies["tv_session"])
            #expect(try await browser.post("/logout", []).status == .forbidden)
            #expect(try await browser.post("/logout", [("csrf", "not-the-token")]).status == .forbidden)
            #expect(try await browser.get("/").status == .ok, "a refused sign-out leaves the session")
            let reply = try await browser.post("/logout", [("csrf", browser.csrf)])
            #expect(reply.status == .seeOther)
            #expect(reply.location == "/login")
            #expect(browser.cookies["tv_session"] == nil, "the cookie is cleared")
            // The old token no longer works, even sent by hand.
            let again = try await browser.fresh().get("/", headers: [.cookie: "tv_session=\(session)"])
            #expect(again.status == .seeOther)
        }
    }
}
