import HTTPTypes
import Testing

/// The console's own sign-in: the form and its pre-session CSRF cookie, the session cookie's
/// attributes, where it sends you afterwards, and what a failure answers.
@Suite struct SignInTests {
    @Test func theFormCarriesItsTokenInAFieldAndACookieAndTheRightPasswordGivesAStrictHttpOnlySession() async throws {
        let fixture = try ConsoleFixture()
        try await fixture.test { browser in
            let page = try await browser.get("/login")
            #expect(page.status == .ok)
            for field in ["username", "password", "csrf"] { #expect(page.text.contains("name=\"\(field)\""), "field \(field)") }
            let token = try #require(page.csrf)
            #expect(page.setCookie("tv_login")?.hasPrefix("tv_login=\(token)") == true, "the cookie holds the form's token")
            #expect(page.cookieAttributes("tv_login").contains("httponly"))

            let reply = try await browser.post("/login", [("csrf", token), ("username", "ana"), ("password", ConsoleFixture.password)])
            #expect(reply.status == .seeOther)
            #expect(reply.location == "/")
            let attributes = reply.cookieAttributes("tv_session")
            #expect(!(browser.cookies["tv_session"] ?? "").isEmpty)
            #expect(attributes.contains("httponly"))
            #expect(attributes.contains("samesite=strict"))
            #expect(!attributes.contains("secure"), "plain HTTP on loopback: no Secure, or the browser would drop the cookie")
            #expect(try await browser.get("/").status == .ok)
        }
    }

    @Test func behindAProxyThatSaysHTTPSTheCookieIsSecure() async throws {
        let fixture = try ConsoleFixture()
        try await fixture.test({ $0.behindProxy = true }) { browser in
            let reply = try await browser.signIn("ana", headers: [.forwardedProtoHeader: "https"])
            #expect(reply.status == .seeOther)
            #expect(reply.cookieAttributes("tv_session").contains("secure"))
        }
        // Without the setting the header is not believed.
        try await fixture.test { browser in
            let reply = try await browser.signIn("ana", headers: [.forwardedProtoHeader: "https"])
            #expect(reply.status == .seeOther)
            #expect(!reply.cookieAttributes("tv_session").contains("secure"))
        }
    }

    @Test func aSafeNextIsFollowedAndAnotherSiteIsNot() async throws {
        let fixture = try ConsoleFixture()
        try await fixture.test { browser in
            #expect(try await browser.signIn("ana", next: "/chats/Usato?before=1.x").location == "/chats/Usato?before=1.x")
            for next in ["//evil.example", "//evil.example/x", "https://evil.example/", "/\\evil.example", "evil.example", "/\r\nSet-Cookie: x=1"] {
                let reply = try await browser.fresh().signIn("ana", next: next)
                #expect(reply.status == .seeOther)
                #expect(reply.location == "/", "next \(next.debugDescription) is not followed")
            }
        }
    }

    @Test func aWrongPasswordIs401AndGivesNoSession() async throws {
        let fixture = try ConsoleFixture()
        try await fixture.test { browser in
            for (name, password) in [("ana", "wrong password entirely"), ("nobody", ConsoleFixture.password), ("ANA", ConsoleFixture.password), ("ana", "")] {
                let reply = try await browser.signIn(name, password: password)
                #expect(reply.status == .unauthorized, "\(name)")
                #expect(reply.setCookie("tv_session") == nil)
                #expect(browser.cookies["tv_session"] == nil)
                #expect(reply.text.contains("name=\"password\""), "the form again")
            }
            #expect(try await browser.get("/").status == .seeOther)
        }
    }

    @Test func aMissingOrMismatchedFormTokenIs403() async throws {
        let fixture = try ConsoleFixture()
        try await fixture.test { browser in
            let page = try await browser.get("/login")
            let token = try #require(page.csrf)
            let good = [("username", "ana"), ("password", ConsoleFixture.password)]
            // No token in the form.
            #expect(try await browser.post("/login", good).status == .forbidden)
            // A token that is not the cookie's.
            #expect(try await browser.post("/login", good + [("csrf", token + "x")]).status == .forbidden)
            // The right token but no cookie (another site's form would have none).
            let other = browser.fresh()
            #expect(try await other.post("/login", good + [("csrf", token)]).status == .forbidden)
            #expect(other.cookies["tv_session"] == nil)
            // An empty token against an empty cookie.
            #expect(try await other.post("/login", good + [("csrf", "")], headers: [.cookie: "tv_login="]).status == .forbidden)
            #expect(other.cookies["tv_session"] == nil)
        }
    }
}
