import Testing

/// A conversation shows each kind of item as what it is: the account's replies on their side,
/// an image as a thumbnail of its verified bytes, a file as a download, a lost item and a
/// purged one by their states.
@Suite struct ConversationTests {
    /// The `<li>` of message `id`.
    static func item(_ id: String, in reply: Reply) -> String? {
        Reply.firstMatch(#"(<li id="m-"# + id + #"".*?</li>)"#, in: reply.text.replacingOccurrences(of: "\n", with: " "))
    }

    @Test func eachKindOfItemShowsAsWhatItIs() async throws {
        let fixture = try ConsoleFixture()
        try await fixture.test { browser in
            try await browser.signIn("sam")
            let page = try await browser.get("/chats/Usato?lang=en")
            #expect(page.status == .ok)
            let ids = Reply.allMatches(#"<li id="m-([^"]+)""#, in: page.text)
            #expect(ids == ["m-script", "m-img", "m-file", "m-photo", "m-reply", "m-lost", "m-purged"], "in send order, the purged one in its place")
            #expect(Self.item("m-reply", in: page)?.contains("class=\"bubble outgoing\"") == true)
            #expect(Self.item("m-reply", in: page)?.contains("鈴木") == true)
            #expect(Self.item("m-script", in: page)?.contains("class=\"bubble incoming\"") == true)
            #expect(Self.item("m-photo", in: page)?.contains("src=\"/messages/m-photo/content?inline=1\"") == true)
            #expect(Self.item("m-file", in: page)?.contains("href=\"/messages/m-file/content\"") == true)
            let lost = try #require(Self.item("m-lost", in: page))
            #expect(lost.contains("class=\"state lost\"") && !lost.contains("/content"), "a lost item offers nothing to download")
            let purged = try #require(Self.item("m-purged", in: page))
            #expect(purged.contains("class=\"state purged\"") && purged.contains("keep.text"))
            #expect(!page.text.contains("消えるメッセージ"), "nothing of a purged message's text")

            let tombstone = try await browser.get("/messages/m-purged")
            #expect(tombstone.status == .ok)
            #expect(tombstone.text.contains("keep.text") && !tombstone.text.contains("消えるメッセージ"))
            // Around a message: its page, with it marked.
            let around = try await browser.get("/chats/Usato?around=m-file")
            #expect(Self.item("m-file", in: around)?.contains("bubble incoming focus") == true)
        }
    }
}
