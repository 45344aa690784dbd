import Foundation
import HTTPTypes
import Testing

/// What customers wrote is shown as text, never as markup, wherever it appears; a hostile
/// file name cannot break out of the download's header.
@Suite struct EscapingTests {
    static let raw = ["<script>alert(1)</script>", "<script", "<img src=x onerror", "\"><img src=x"]

    static func expectEscaped(_ reply: Reply, _ page: String, texts: [String]) {
        #expect(reply.status == .ok, "\(page)")
        for raw in raw { #expect(!reply.text.contains(raw), "\(page) holds \(raw) unescaped") }
        for text in texts { #expect(reply.text.contains(text), "\(page) lacks \(text)") }
        #expect(reply.headers[.contentType]?.hasPrefix("text/html") == true)
        #expect(reply.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true, "\(page): no script runs even if one got in")
    }

    @Test func conversationMessageAndSearchPagesEscapeHostileTextsAndFileNames() async throws {
        let fixture = try ConsoleFixture()
        try await fixture.test { browser in
            try await browser.signIn("ana")
            let script = "&lt;script&gt;alert(1)&lt;/script&gt;", img = "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"
            Self.expectEscaped(try await browser.get("/chats/Usato"), "conversation", texts: [script, img, img + ".pdf"])
            Self.expectEscaped(try await browser.get("/messages/m-script"), "message m-script", texts: [script])
            Self.expectEscaped(try await browser.get("/messages/m-img"), "message m-img", texts: [img])
            Self.expectEscaped(try await browser.get("/messages/m-file"), "message m-file", texts: [img + ".pdf"])
            Self.expectEscaped(try await browser.get("/search?q=alert"), "search", texts: [script, img])
            Self.expectEscaped(try await browser.get("/chats"), "chats", texts: [])
            // The query itself, echoed into the form.
            Self.expectEscaped(try await browser.get("/search?q=%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E"), "search for markup", texts: [img])
            Self.expectEscaped(try await browser.get("/chats?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E"), "chat filter", texts: [script])
        }
    }

    @Test func theDownloadOfAHostileFileNameHasNoQuoteInsideItsFilename() async throws {
        let fixture = try ConsoleFixture()
        try await fixture.test { browser in
            try await browser.signIn("sam")
            let reply = try await browser.get("/messages/m-file/content")
            #expect(reply.status == .ok)
            let disposition = try #require(reply.headers[.contentDisposition])
            #expect(disposition.hasPrefix("attachment; "))
            // One quoted fallback with no quote, backslash or control character in it, then the RFC 5987 form.
            let pattern = #"^attachment; filename="([^"\\\x00-\x1F]*)"; filename\*=UTF-8''([A-Za-z0-9%._~-]+)$"#
            #expect(disposition.range(of: pattern, options: .regularExpression) != nil, "\(disposition)")
            #expect(disposition.contains("filename*=UTF-8''%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E.pdf"), "\(disposition)")
        }
    }
}
