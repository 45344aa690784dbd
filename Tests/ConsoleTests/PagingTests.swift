import Foundation
import Testing

/// A conversation longer than a page: the newest page first, `older` links back a page at a
/// time, `newer` forward again, and every message is on exactly one page.
@Suite struct PagingTests {
    /// The message ids of a conversation page, in page order.
    static func ids(_ reply: Reply) -> [String] { Reply.allMatches(#"<li id="m-([^"]+)""#, in: reply.text) }

    static func link(_ reply: Reply, _ arrow: String) -> String? {
        Reply.firstMatch(#"<a href="([^"]+)">"# + arrow, in: reply.text).map(Reply.unescape)
    }

    @Test func olderAndNewerLinksVisitEveryMessageOnce() async throws {
        let fixture = try ConsoleFixture()
        try await fixture.test({ $0.pageSize = 5 }) { browser in
            try await browser.signIn("sam")
            let all = ConsoleFixture.groupIds
            var page = try await browser.get("/chats/\(ConsoleFixture.group)")
            #expect(Self.ids(page) == Array(all.suffix(5)), "the newest five, oldest first")
            #expect(Self.link(page, "↓") == nil, "nothing newer than the newest")
            var backward = Self.ids(page), pages = 1
            while let older = Self.link(page, "↑") {
                page = try await browser.get(older)
                #expect(page.status == .ok)
                backward = Self.ids(page) + backward
                pages += 1
                if pages > 10 { break }
            }
            #expect(backward == all, "every message once, in order")
            #expect(pages == 3)
            #expect(Self.ids(page) == Array(all.prefix(2)))
            var forward = Self.ids(page)
            while let newer = Self.link(page, "↓") {
                page = try await browser.get(newer)
                forward += Self.ids(page)
                if forward.count > 50 { break }
            }
            #expect(forward == all)
        }
    }

    @Test func theSearchResultsPageToo() async throws {
        let fixture = try ConsoleFixture()
        try await fixture.test({ $0.pageSize = 5 }) { browser in
            try await browser.signIn("sam")
            var page = try await browser.get("/search?q=group+text&kind=text")
            var seen = Reply.allMatches(#"around=([A-Za-z0-9_-]+)#"#, in: page.text)
            #expect(seen.count == 5)
            while let more = Reply.firstMatch(#"<a href="([^"]+)">[^<]*</a></p>"#, in: page.text).map(Reply.unescape), more.hasPrefix("/search") {
                page = try await browser.get(more)
                seen += Reply.allMatches(#"around=([A-Za-z0-9_-]+)#"#, in: page.text)
                if seen.count > 50 { break }
            }
            #expect(seen == ConsoleFixture.groupIds.reversed(), "newest first, each once")
        }
    }
}
