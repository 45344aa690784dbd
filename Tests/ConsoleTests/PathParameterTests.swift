import Foundation
import HTTPTypes
import Testing

/// Every value from a path or a query is checked before use: traversal, odd characters, long
/// ids, bad cursors and weeks that do not exist answer 400 or 404, never a page and never 500.
@Suite struct PathParameterTests {
    static let long = String(repeating: "1", count: 500)

    @Test func malformedParametersAre400Or404() async throws {
        let fixture = try ConsoleFixture()
        try await fixture.test { browser in
            try await browser.signIn("ana")
            let week = "\(ConsoleFixture.week)"
            let paths = [
                "/messages/..%2F..%2Fetc%2Fpasswd", "/messages/..%2F..%2Fetc%2Fpasswd/content", "/messages/abc$", "/messages/abc$/content",
                "/messages/\(Self.long)", "/messages/\(Self.long)/content", "/messages/%00", "/messages/m-script%0D%0AX:1",
                "/messages/no-such-message", "/messages/no-such-message/content",
                "/chats/../../x", "/chats/..%2F..%2Fx", "/chats/\(Self.long)", "/chats/no-such-chat", "/chats/U%22%3E",
                "/chats/Usato?before=notacursor", "/chats/Usato?after=1.2.3$", "/chats/Usato?before=99999999999999999999.x",
                "/chats/Usato?around=..%2Fx", "/chats/Usato?before=-5.m-script",
                "/exports/../../x.csv", "/exports/..%2F..%2Fx.csv", "/exports/2026-W99.csv", "/exports/2026-W99.manifest.json",
                "/exports/\(week).txt", "/exports/\(week).csv?channel=..%2F..", "/exports/\(week).csv?profile=evil",
                "/exports/2026-W45.csv", "/exports/\(week)%00.csv", "/exports?profile=evil",
                "/search?kind=nonsense", "/search?state=%3Cx%3E", "/search?q=x&since=yesterday", "/search?q=x&after=bad",
                "/lost?reason=..%2Fx", "/lost?after=bad", "/audit?before=-1", "/audit?before=abc",
            ]
            for path in paths {
                let reply = try await browser.get(path)
                #expect([.badRequest, .notFound].contains(reply.status), "\(path) → \(reply.status)")
                #expect(!reply.bytes.starts(with: Array("%PDF".utf8)) && !reply.text.contains("root:"), "\(path)")
            }
            // The checks are not in the way of the real thing.
            #expect(try await browser.get("/chats/Usato").status == .ok)
            #expect(try await browser.get("/exports/\(week).csv").status == .ok)
        }
    }
}
