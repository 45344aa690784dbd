import Testing

/// A GET form's fields arrive as a browser encodes them: a space as `+`, a plus as `%2B`. The
/// search and the chat filter read them so, and the links they make keep them so.
@Suite struct QueryEncodingTests {
    @Test func aSpaceSentAsPlusIsASpaceAndAnEncodedPlusIsAPlus() async throws {
        let fixture = try ConsoleFixture()
        try await fixture.test { browser in
            try await browser.signIn("sam")
            let spaced = try await browser.get("/search?q=group+text")
            #expect(spaced.text.contains("value=\"group text\""), "the form shows what was typed")
            #expect(Reply.allMatches(#"around=([A-Za-z0-9_-]+)#"#, in: spaced.text).count == ConsoleFixture.groupIds.count)
            let plus = try await browser.get("/search?q=C%2B%2B")
            #expect(plus.text.contains("value=\"C++\""))
            #expect(try await browser.get("/chats?q=a+b").text.contains("value=\"a b\""))
            // Signing in on the way keeps the query as it was.
            let location = try #require(try await browser.fresh().get("/search?q=group+text&kind=text").location)
            let login = try await browser.fresh().get(location)
            let next = try #require(Reply.firstMatch(#"name="next" value="([^"]*)""#, in: login.text).map(Reply.unescape))
            let other = browser.fresh()
            let landed = try #require(try await other.signIn("sam", next: next).location)
            #expect(Reply.allMatches(#"around=([A-Za-z0-9_-]+)#"#, in: try await other.get(landed).text).count == ConsoleFixture.groupIds.count)
            // The language link keeps the query too.
            let english = try #require(Reply.firstMatch(#"<a class="lang" href="([^"]+)""#, in: plus.text).map(Reply.unescape))
            #expect(try await browser.get(english).text.contains("value=\"C++\""), "\(english)")
        }
    }
}
