@testable import Console
import HTTPTypes
import Testing

/// Behind an SSO proxy: the header names the user, believed only on a loopback listener, and
/// only for a user in the user file.
@Suite struct TrustedHeaderTests {
    @Test func aTrustedHeaderIsRefusedOffLoopback() throws {
        let fixture = try ConsoleFixture()
        for host in ["0.0.0.0", "192.168.1.10", "::", "example.com"] {
            #expect(throws: ConsoleError.trustedHeaderNeedsLoopback(host: host)) {
                try fixture.console { $0.host = host; $0.trustedHeader = "X-Remote-User" }
            }
        }
        for host in ["127.0.0.1", "::1", "localhost"] {
            #expect(throws: Never.self) { try fixture.console { $0.host = host; $0.trustedHeader = "X-Remote-User" } }
        }
        #expect(throws: Never.self) { try fixture.console { $0.host = "0.0.0.0" } }
    }

    @Test func onLoopbackTheHeaderSignsInAKnownUserOnly() async throws {
        let fixture = try ConsoleFixture()
        try await fixture.test({ $0.trustedHeader = "X-Remote-User" }) { browser in
            let known = try await browser.get("/chats", headers: [.remoteUserHeader: "ana"])
            #expect(known.status == .ok)
            #expect(known.text.contains("<b>ana</b>"))
            for name in ["mallory", "", "ANA"] {
                let reply = try await browser.get("/chats", headers: [.remoteUserHeader: name])
                #expect(reply.status == .seeOther, "\(name.debugDescription)")
            }
            #expect(try await browser.get("/chats").status == .seeOther, "no header, no user")
            #expect(try await browser.get("/messages/m-file/content", headers: [.remoteUserHeader: "mallory"]).status == .unauthorized)
            // The console's own session cookie means nothing here.
            #expect(try await browser.post("/login", [("username", "ana"), ("password", ConsoleFixture.password)]).setCookie("tv_session") == nil)
            // A form still needs its token: the page's, not a guess.
            let page = try await browser.get("/messages/m-img", headers: [.remoteUserHeader: "ana"])
            let token = try #require(page.csrf)
            #expect(try await browser.post("/messages/m-img/read", [("csrf", "x")], headers: [.remoteUserHeader: "ana"]).status == .forbidden)
            // Another user's token is not ana's.
            let other = try #require(try await browser.get("/", headers: [.remoteUserHeader: "sam"]).csrf)
            #expect(other != token)
            #expect(try await browser.post("/messages/m-img/read", [("csrf", other)], headers: [.remoteUserHeader: "ana"]).status == .forbidden)
            #expect(try await browser.post("/messages/m-img/read", [("csrf", token)], headers: [.remoteUserHeader: "ana"]).status == .seeOther)
            // A user removed is out at once.
            try fixture.users.remove(name: "ana")
            #expect(try await browser.get("/chats", headers: [.remoteUserHeader: "ana"]).status == .seeOther)
        }
    }
}
