import AuditTrail
import HTTPTypes
import Testing

/// Failed sign-ins counted per user name and per address: past either limit even the right
/// password is refused with 429 and Retry-After, until the window has passed.
@Suite struct SignInLimitTests {
    @Test func afterTheUsersFailuresEvenTheRightPasswordIs429FromAnyAddress() async throws {
        let fixture = try ConsoleFixture()
        try await fixture.test({
            $0.behindProxy = true
            $0.signInFailuresPerUser = 3
            $0.signInFailuresPerAddress = 100
        }) { browser in
            let here: HTTPFields = [.forwardedForHeader: "203.0.113.5"], there: HTTPFields = [.forwardedForHeader: "198.51.100.7"]
            for _ in 0..<3 { #expect(try await browser.signIn("ana", password: "not the password", headers: here).status == .unauthorized) }
            for headers in [here, there] {
                let reply = try await browser.signIn("ana", headers: headers)
                #expect(reply.status == .tooManyRequests)
                let wait = try #require(reply.headers[.retryAfter].flatMap { Int($0) }, "Retry-After in seconds")
                #expect(wait > 0 && wait <= 15 * 60)
                #expect(browser.cookies["tv_session"] == nil)
            }
            // Another user's name is not limited by ana's failures.
            #expect(try await browser.fresh().signIn("sam", headers: here).status == .seeOther)
            // Upper case is the same user for the limit.
            #expect(try await browser.fresh().signIn("ANA", headers: there).status == .tooManyRequests)
            // Once the window has passed, the right password works again.
            fixture.clock.advance(seconds: 15 * 60 + 1)
            #expect(try await browser.signIn("ana", headers: there).status == .seeOther)
        }
    }

    @Test func afterAnAddresssFailuresAcrossNamesEveryoneFromItIs429() async throws {
        let fixture = try ConsoleFixture()
        try await fixture.test({
            $0.behindProxy = true
            $0.signInFailuresPerUser = 100
            $0.signInFailuresPerAddress = 3
        }) { browser in
            let here: HTTPFields = [.forwardedForHeader: "203.0.113.5"]
            for name in ["x1", "x2", "sam"] {
                #expect(try await browser.signIn(name, password: "not the password", headers: here).status == .unauthorized)
            }
            let reply = try await browser.signIn("ana", headers: here)
            #expect(reply.status == .tooManyRequests)
            #expect(reply.headers[.retryAfter].flatMap { Int($0) }.map { $0 > 0 } == true)
            #expect(browser.cookies["tv_session"] == nil)
            // The proxy's own entry is the last: a client cannot hide behind one it adds.
            #expect(try await browser.signIn("ana", headers: [.forwardedForHeader: "192.0.2.1, 203.0.113.5"]).status == .tooManyRequests)
            // Another address is not limited.
            #expect(try await browser.fresh().signIn("ana", headers: [.forwardedForHeader: "198.51.100.7"]).status == .seeOther)
        }
    }

    /// Refused attempts are recorded once per key and window: a flood of them cannot flood the
    /// audit trail (each would be an fsynced entry).
    @Test func refusalsAreRecordedOncePerWindow() async throws {
        let fixture = try ConsoleFixture()
        try await fixture.test({
            $0.behindProxy = true
            $0.signInFailuresPerUser = 2
            $0.signInFailuresPerAddress = 100
        }) { (browser: Browser) async throws in
            let here: HTTPFields = [.forwardedForHeader: "203.0.113.5"]
            for _ in 0..<2 { #expect(try await browser.signIn("ana", password: "not the password", headers: here).status == .unauthorized) }
            for _ in 0..<10 { #expect(try await browser.signIn("ana", password: "not the password", headers: here).status == .tooManyRequests) }
            fixture.clock.advance(seconds: 60)
            #expect(try await browser.signIn("ana", password: "not the password", headers: here).status == .tooManyRequests)
        }
        #expect(try Self.refusals(fixture.dataDir) == 1, "eleven refusals in one window, one entry")
    }

    static func refusals(_ dataDir: String) throws -> Int {
        var count = 0
        try AuditLog(dataDir: dataDir).entries { if $0.action == "console sign in" && $0.outcome.hasPrefix("refused") { count += 1 } }
        return count
    }
}
