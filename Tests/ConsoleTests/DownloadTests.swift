import Foundation
import HTTPTypes
import Testing

/// Downloads are the verified bytes from the segment, byte for byte, as an attachment (inline
/// only for a raster image asked for so), with headers that keep a browser from running them.
@Suite struct DownloadTests {
    static func expectSafeHeaders(_ reply: Reply, _ what: String) {
        #expect(reply.headers[.xContentTypeOptionsHeader] == "nosniff", "\(what)")
        #expect(reply.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true, "\(what)")
    }

    @Test func contentIsTheArchivedBytesWithTheirTypeAsAnAttachment() async throws {
        let fixture = try ConsoleFixture()
        try await fixture.test { browser in
            try await browser.signIn("sam")
            for id in ["m-file", "m-photo"] {
                let packed = try #require(fixture.content[id])
                for query in ["", "?inline=1"] {
                    let reply = try await browser.get("/messages/\(id)/content" + query)
                    #expect(reply.status == .ok, "\(id)\(query)")
                    #expect(ConsoleFixture.sha256(reply.bytes) == ConsoleFixture.sha256(packed.bytes), "\(id)\(query): the bytes packed")
                    #expect(reply.headers[.contentType] == packed.type)
                    #expect(reply.headers[.contentLength] == "\(packed.bytes.count)")
                    let inline = id == "m-photo" && query == "?inline=1"
                    #expect(reply.headers[.contentDisposition]?.hasPrefix(inline ? "inline; " : "attachment; ") == true,
                            "\(id)\(query): \(reply.headers[.contentDisposition] ?? "none")")
                    Self.expectSafeHeaders(reply, "\(id)\(query)")
                }
            }
            // A text message's verified text, as plain text.
            let text = try await browser.get("/messages/m-script/content?inline=1")
            #expect(text.status == .ok)
            #expect(text.text == ConsoleFixture.scriptText + "\n")
            #expect(text.headers[.contentType] == "text/plain; charset=utf-8")
            #expect(text.headers[.contentDisposition]?.hasPrefix("attachment; ") == true)
            Self.expectSafeHeaders(text, "m-script")
            // A purged message is gone; an unknown one was never there.
            #expect(try await browser.get("/messages/m-purged/content").status == .gone)
            #expect(try await browser.get("/messages/m-nothing/content").status == .notFound)
        }
    }

    @Test func aLostImageOffersNoImageBytes() async throws {
        let fixture = try ConsoleFixture()
        try await fixture.test { browser in
            try await browser.signIn("sam")
            let reply = try await browser.get("/messages/m-lost/content?inline=1")
            #expect(reply.headers[.contentType]?.hasPrefix("image/") != true)
            #expect(reply.headers[.contentDisposition]?.hasPrefix("inline") != true)
            let page = try await browser.get("/messages/m-lost")
            #expect(page.status == .ok)
            #expect(!page.text.contains("<img class=\"full\""), "no image to show")
        }
    }

    @Test func theWeeklyExportDownloadsByteIdenticalToTheFileDelivered() async throws {
        let fixture = try ConsoleFixture()
        let csv = try Data(contentsOf: URL(fileURLWithPath: fixture.exportCSV))
        let manifestPath = fixture.exportCSV.replacingOccurrences(of: ".csv", with: ".manifest.json")
        let manifest = try Data(contentsOf: URL(fileURLWithPath: manifestPath))
        #expect(String(decoding: csv, as: UTF8.self).contains("m-script"), "the fixture's export has rows")
        try await fixture.test { browser in
            try await browser.signIn("audrey")
            let week = "\(ConsoleFixture.week)"
            let reply = try await browser.get("/exports/\(week).csv")
            #expect(reply.status == .ok)
            #expect(reply.bytes == Array(csv))
            #expect(reply.headers[.contentLength] == "\(csv.count)")
            #expect(reply.headers[.contentType] == "text/csv; charset=utf-8")
            #expect(reply.headers[.contentDisposition]?.hasPrefix("attachment; filename=\"talkvault-\(week).csv\"") == true)
            Self.expectSafeHeaders(reply, "csv")
            let json = try await browser.get("/exports/\(week).manifest.json")
            #expect(json.status == .ok)
            #expect(json.bytes == Array(manifest))
            #expect(json.headers[.contentType] == "application/json")
            let page = try await browser.get("/exports")
            #expect(page.text.contains("href=\"/exports/\(week).csv\""))
        }
    }
}
