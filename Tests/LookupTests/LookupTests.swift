import Foundation
@testable import Ledger
@testable import Lookup
@testable import Packing
import Store
import TalkVaultDomain
import Testing
import LedgerTestSupport
import PackingTestSupport
import TestSupport

/// A ledger for `find`: two chats, three users with names, every kind, three days in Tokyo.
struct LookupHarness {
    let base: LedgerHarness
    var ledger: Ledger { base.ledger }
    let tokyo = TimeZone(identifier: "Asia/Tokyo")!

    init() throws {
        base = try LedgerHarness()
        let sato = Webhook.source(user: "Usato"), tanaka = Webhook.source(user: "Utanaka", group: "Cshop")
        let suzuki = Webhook.source(user: "Usuzuki", group: "Cshop")
        try base.capture(Webhook.body([
            Webhook.text("t1", "明日の予約を確認したいです", eventId: "e1", at: ms("2026-10-01T09:00:00+09:00"), source: sato),
            Webhook.text("t2", "営業時間は何時までですか？", eventId: "e2", at: ms("2026-10-01T23:59:59+09:00"), source: tanaka),
            Webhook.text("t3", "Order #100% \"done\"", eventId: "e3", at: ms("2026-10-02T00:00:00+09:00"), source: suzuki),
            Webhook.media("i1", type: "image", eventId: "e4", at: ms("2026-10-02T10:00:00+09:00"), source: sato),
            Webhook.media("f1", type: "file", eventId: "e5", at: ms("2026-10-02T11:00:00+09:00"), source: tanaka,
                          extra: ["fileName": "請求書_10月.pdf", "fileSize": 10]),
            Webhook.event("message", id: "e6", at: ms("2026-10-03T08:00:00+09:00"), source: suzuki,
                          extra: ["message": ["id": "s1", "type": "sticker", "packageId": "1", "stickerId": "2", "keywords": ["ありがとう", "thanks"]]]),
            Webhook.event("message", id: "e7", at: ms("2026-10-03T09:00:00+09:00"), source: sato,
                          extra: ["message": ["id": "l1", "type": "location", "title": "東京駅", "address": "千代田区丸の内1丁目", "latitude": 35.68, "longitude": 139.76]]),
            Webhook.text("t4", "予約", eventId: "e8", at: ms("2026-10-03T12:00:00+09:00"), source: sato),
            Webhook.unsend("t4", eventId: "e9", at: ms("2026-10-03T12:01:00+09:00"), source: sato),
        ]))
        try ledger.db.run("UPDATE profiles SET display_name = '佐藤 健' WHERE user_id = 'Usato'")
        try ledger.db.run("UPDATE profiles SET display_name = '田中 花子' WHERE user_id = 'Utanaka'")
        try ledger.db.run("UPDATE chats SET name = '渋谷店スタッフ' WHERE chat_id = 'Cshop'")
    }

    func ms(_ text: String) -> Int64 { Instant(rfc3339: text)!.milliseconds }

    func ids(_ configure: (inout FindQuery) -> Void) throws -> [String] {
        var query = FindQuery()
        configure(&query)
        var ids: [String] = []
        try Finder.find(ledger.searchStore, query) { ids.append($0.row.id) }
        return ids
    }

    func at(_ text: String, _ edge: TimeArgument.Edge) -> Instant { TimeArgument.parse(text, edge: edge, in: tokyo)! }
}

@Suite struct LookupTests {
    @Test func everyFilterNarrowsAndResultsComeInTimeOrder() throws {
        let h = try LookupHarness()
        #expect(try h.ids { _ in } == ["t1", "t2", "t3", "i1", "f1", "s1", "l1", "t4"])
        #expect(try h.ids { $0.chat = "Usato" } == ["t1", "i1", "l1", "t4"])                // a 1:1 chat is the user's id
        #expect(try h.ids { $0.chat = "Cshop" } == ["t2", "t3", "f1", "s1"])
        #expect(try h.ids { $0.chat = "渋谷店" } == ["t2", "t3", "f1", "s1"])          // part of the chat's name
        #expect(try h.ids { $0.user = "Usato" } == ["t1", "i1", "l1", "t4"])
        #expect(try h.ids { $0.user = "佐藤" } == ["t1", "i1", "l1", "t4"])           // part of the display name
        #expect(try h.ids { $0.user = "%" } == [])                                      // LIKE wildcards are literal
        #expect(try h.ids { $0.kinds = [.image, .file] } == ["i1", "f1"])
        #expect(try h.ids { $0.states = ["unsent"] } == ["t4"])
        #expect(try h.ids { $0.states = ["content_due"] } == ["i1", "f1"])
        #expect(try h.ids { $0.ids = ["l1", "t1", "nope"] } == ["t1", "l1"])
        // Day bounds in Tokyo: 23:59:59 on the 1st belongs to the 1st, 00:00:00 on the 2nd does not.
        #expect(try h.ids { $0.since = h.at("2026-10-01", .start); $0.until = h.at("2026-10-01", .end) } == ["t1", "t2"])
        #expect(try h.ids { $0.since = h.at("2026-10-02", .start); $0.until = h.at("2026-10-02 10:00", .end) } == ["t3", "i1"])
        #expect(try h.ids { $0.since = h.at("2026-10", .start); $0.until = h.at("2026-10", .end) }.count == 8)
        #expect(try h.ids { $0.user = "佐藤"; $0.kinds = [.text]; $0.since = h.at("2026-10-02", .start) } == ["t4"])
        #expect(try h.ids { $0.limit = 2 } == ["t1", "t2"])
        // A message captured after the last lookup is queued, and found once Finder catches up.
        try h.base.capture(Webhook.body([Webhook.text("t5", "追加", eventId: "e11", at: h.ms("2026-10-04T09:00:00+09:00"),
                                                      source: Webhook.source(user: "Usato"))]))
        #expect(try h.ledger.searchStore.lookupBacklog() == 1)
        #expect(try h.ids { $0.user = "Usato" } == ["t1", "i1", "l1", "t4", "t5"])
        #expect(try h.ids { $0.chat = "Usato"; $0.since = h.at("2026-10-04", .start) } == ["t5"])
        #expect(try h.ledger.searchStore.lookupBacklog() == 0)
        #expect(LedgerSearch.isLINEId("U4af4980629e2a5bbfc4ba1f2c7c5ba3d") && LedgerSearch.isLINEId("Cdeadbeefdeadbeefdeadbeefdeadbeef"))
        #expect(!LedgerSearch.isLINEId("Usato") && !LedgerSearch.isLINEId("U4AF4980629E2A5BBFC4BA1F2C7C5BA3D"))
        var query = FindQuery()
        query.user = "佐藤"
        query.limit = 1
        #expect(try Finder.count(h.ledger.searchStore, query) == 5)   // t5 included; the limit does not bound a count
    }

    @Test func japaneseTextSearchFindsSubstringsOfEveryKind() throws {
        let h = try LookupHarness()
        #expect(try h.ids { $0.text = "予約を確認" } == ["t1"])
        #expect(try h.ids { $0.text = "予約" } == ["t1", "t4"])            // two characters: below a trigram, still found
        #expect(try h.ids { $0.text = "時" } == ["t2"])
        #expect(try h.ids { $0.text = "請求書" } == ["f1"])                 // a file's name
        #expect(try h.ids { $0.text = "ありがとう" } == ["s1"])             // a sticker's keywords
        #expect(try h.ids { $0.text = "丸の内" } == ["l1"])                 // a location's address
        #expect(try h.ids { $0.text = "ORDER" } == ["t3"])                  // ASCII ignores case
        #expect(try h.ids { $0.text = "100%" } == ["t3"])
        #expect(try h.ids { $0.text = "\"done\"" } == ["t3"])               // FTS syntax is taken literally
        #expect(try h.ids { $0.text = "OR" } == ["t3"])
        #expect(try h.ids { $0.text = "or" } == ["t3"])                     // short ASCII: still no case
        #expect(try h.ids { $0.text = "%" } == ["t3"])
        #expect(try h.ids { $0.text = "予約"; $0.states = ["unsent"] } == ["t4"])
        #expect(try h.ids { $0.text = "存在しない言葉" } == [])
        // --count with only --text is answered by the index alone, and agrees with the rows.
        for needle in ["予約", "予約を確認", "ORDER", "or", "丸の内", "存在しない言葉"] {
            var query = FindQuery()
            query.text = needle
            #expect(try Finder.count(h.ledger.searchStore, query) == h.ids { $0.text = needle }.count, "\(needle)")
        }
    }

    @Test func anEditIsSearchableByItsNewTextOnly() throws {
        let h = try LookupHarness()
        #expect(try h.ids { $0.text = "営業時間" } == ["t2"])
        try h.base.capture(Webhook.body([Webhook.edit("t2", "定休日はいつですか", eventId: "e10", at: h.ms("2026-10-04T09:00:00+09:00"),
                                                      source: Webhook.source(user: "Utanaka", group: "Cshop"))]))
        #expect(try h.ledger.searchStore.lookupBacklog() == 1)
        #expect(try h.ids { $0.text = "営業時間" } == [])
        #expect(try h.ids { $0.text = "定休日" } == ["t2"])
        #expect(try h.ledger.searchStore.lookupBacklog() == 0)
    }

    @Test func vacuumRenumberingRowsDoesNotMisdirectTheIndexes() throws {
        let h = try LookupHarness()
        #expect(try h.ids { $0.text = "営業時間" } == ["t2"])
        // An operator purges a message and vacuums: SQLite may renumber every later row.
        try h.ledger.db.run("DELETE FROM messages WHERE id = 't1'")
        try h.ledger.db.execute("VACUUM")
        #expect(try h.ids { $0.text = "営業時間" } == ["t2"])
        #expect(try h.ids { $0.text = "予約" } == ["t4"])
        #expect(try h.ids { $0.user = "Usato" } == ["i1", "l1", "t4"])
        #expect(try h.ids { $0.chat = "Cshop"; $0.text = "請求書" } == ["f1"])
    }

    @Test(arguments: [
        ("2026-10", TimeArgument.Edge.start, "2026-10-01T00:00:00.000+09:00"), ("2026-10", .end, "2026-11-01T00:00:00.000+09:00"),
        ("2026-12", .end, "2027-01-01T00:00:00.000+09:00"), ("2026-10-03", .start, "2026-10-03T00:00:00.000+09:00"),
        ("2026-10-03", .end, "2026-10-04T00:00:00.000+09:00"), ("2026-10-03 14:30", .end, "2026-10-03T14:31:00.000+09:00"),
        ("2026-10-03T14:30:05", .start, "2026-10-03T14:30:05.000+09:00"), ("2026-10-03T14:30:05Z", .start, "2026-10-03T23:30:05.000+09:00"),
    ])
    func timesAreReadInTheConfiguredZone(_ text: String, _ edge: TimeArgument.Edge, _ expected: String) {
        let tokyo = TimeZone(identifier: "Asia/Tokyo")!
        #expect(TimeArgument.parse(text, edge: edge, in: tokyo)?.rfc3339(in: tokyo) == expected)
    }

    @Test(arguments: ["2026-02-30", "2026-13", "26-10-01", "2026-10-01 25:00", "yesterday", "2026-10-01 14", ""])
    func badTimesAreRefused(_ text: String) {
        #expect(TimeArgument.parse(text, edge: .start, in: TimeZone(identifier: "Asia/Tokyo")!) == nil)
    }

    @Test func jsonLinesAndCSVCarryEveryKeyAndTheTableLinesUp() throws {
        let h = try LookupHarness()
        var rows: [FoundMessage] = []
        try h.ledger.searchStore.find(FindQuery()) { rows.append($0) }
        var json = ""
        var printer = FindPrinter(format: .json, zone: h.tokyo) { json += $0 }
        rows.forEach { printer.add($0) }
        let objects = json.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(objects.count == 8)
        for key in ["id", "sent_at", "kind", "chat_id", "sender_id", "state", "text", "content_sha256"] {
            #expect(objects.allSatisfy { $0.keys.contains(key) }, "\(key)")
        }
        #expect(objects[0]["sent_at"] as? String == "2026-10-01T09:00:00.000+09:00")
        #expect(objects[0]["sender_name"] as? String == "佐藤 健")
        #expect(objects[0]["content_sha256"] is NSNull)

        var csv = ""
        printer = FindPrinter(format: .csv, zone: h.tokyo) { csv += $0 }
        rows.forEach { printer.add($0) }
        let lines = csv.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        #expect(lines.count == 9)
        #expect(lines[0].hasPrefix("id,sent_at,chat_type,chat_id"))
        #expect(lines.contains { $0.contains("\"Order #100% \"\"done\"\"\"") })

        var table = ""
        printer = FindPrinter(format: .table, zone: h.tokyo) { table += $0 }
        rows.forEach { printer.add($0) }
        printer.finish()
        let tableLines = table.split(separator: "\n").map(String.init)
        #expect(tableLines.count == 9)
        #expect(tableLines[0].hasPrefix("ID"))
        // Every row's WHERE column starts at the same terminal column, Japanese or not.
        let whereColumn = DisplayWidth.of(String(tableLines[0][..<tableLines[0].range(of: "WHERE")!.lowerBound]))
        for (line, row) in zip(tableLines.dropFirst(), rows) {
            let location = FoundFields(row, zone: h.tokyo).location
            #expect(line.hasSuffix(location))
            #expect(DisplayWidth.of(line) - DisplayWidth.of(location) == whereColumn, "\(line)")
        }
    }

    @Test func displayWidthCountsWideCharactersTwice() {
        #expect(DisplayWidth.of("abc") == 3)
        #expect(DisplayWidth.of("予約") == 4)
        #expect(DisplayWidth.of("佐藤⭐") == 6)
        #expect(DisplayWidth.fit("予約できますか", 7) == "予約で…")
        #expect(DisplayWidth.fit("予約", 6) == "予約  ")
        #expect(DisplayWidth.fit("ab\ncd", 6) == "ab cd ")
    }

    @Test func showTellsTheWholeStory() throws {
        var h = try PackHarness()
        try h.fill(texts: 2)
        try h.base.capture(Webhook.body([Webhook.text("mt0", "こんにちは 0 =SUM(A1) 😀\n改行", eventId: "me0", at: 1_790_000_000_000,
                                                      source: Webhook.source(user: "U0", group: "Cgroup"), redelivery: true)]))
        try h.base.capture(Webhook.body([Webhook.edit("mt0", "edited text", eventId: "edit-1", at: 1_790_000_100_000)]))
        _ = try h.packer().pack()
        _ = try h.ledger.readState.markRead(ids: ["mt0"], by: "sato", at: LedgerHarness.now)
        let detail = try #require(try h.ledger.searchStore.detail(id: "mt0"))
        let whats = detail.history.map(\.what)
        for expected in ["received", "redelivered", "edited", "archived", "read"] { #expect(whats.contains(expected), "\(whats)") }
        #expect(detail.edits.map(\.text) == ["edited text"])
        let text = DetailFormat.text(detail, zone: TimeZone(identifier: "Asia/Tokyo")!)
        #expect(text.contains("edited text") && text.contains("original  こんにちは 0"))
        #expect(text.contains("read      2026-11-22T09:00:00.000+09:00 by sato"))
        let json = try JSONSerialization.jsonObject(with: Data(DetailFormat.json(detail, zone: TimeZone(identifier: "Asia/Tokyo")!).utf8)) as! [String: Any]
        #expect(json["id"] as? String == "mt0")
        #expect((json["history"] as? [[String: Any]])?.count == detail.history.count)
        let media = try #require(try h.ledger.searchStore.detail(id: "mi0"))
        #expect(media.history.map(\.what).contains("downloaded"))
        #expect(media.found.row.contentSegment != nil)
        #expect(try h.ledger.searchStore.detail(id: "nope") == nil)
    }

    @Test func aSelectionNeverOverwritesItselfWhenNamesCollide() {
        let names = RestoreNames()
        #expect(names.claim("invoice.pdf", id: "1") == "invoice.pdf")
        #expect(names.claim("invoice.pdf", id: "2") == "invoice-2.pdf")
        #expect(names.claim("README", id: "3") == "README")
        #expect(names.claim("README", id: "4") == "README-4")
    }
}
