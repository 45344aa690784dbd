import Crypto
import ChatBackup
@testable import Export
import Foundation
@testable import Ledger
import Store
import TalkVaultDomain
import Testing
import LedgerTestSupport
import TestSupport

@Suite struct ISOWeekTests {
    let tokyo = TimeZone(identifier: "Asia/Tokyo")!

    @Test func sundayNightAndMondayMorningInTokyoAreDifferentWeeks() {
        let sunday = Instant(rfc3339: "2026-11-22T23:59:59+09:00")!, monday = Instant(rfc3339: "2026-11-23T00:00:00+09:00")!
        #expect(ISOWeek.containing(sunday, in: tokyo).description == "2026-W47")
        #expect(ISOWeek.containing(monday, in: tokyo).description == "2026-W48")
        let (start, end) = ISOWeek(parsing: "2026-W47")!.bounds(in: tokyo)
        #expect(start.rfc3339(in: tokyo).hasPrefix("2026-11-16T00:00:00"))
        #expect(end == monday)
        // The zone decides: Monday 00:00 in Tokyo is still Sunday in UTC.
        #expect(ISOWeek.containing(monday, in: TimeZone(identifier: "UTC")!).description == "2026-W47")
    }

    @Test func parsingAndYearEdges() {
        #expect(ISOWeek(parsing: "2026-W53") != nil)   // 2026 starts on a Thursday: 53 weeks
        #expect(ISOWeek(parsing: "2020-W53") != nil)
        #expect(ISOWeek(parsing: "2021-W53") == nil)
        #expect(ISOWeek(parsing: "2026-47") == nil)
        #expect(ISOWeek.containing(Instant(rfc3339: "2027-01-01T12:00:00+09:00")!, in: tokyo).description == "2026-W53")
        #expect(ISOWeek.lastComplete(before: Instant(rfc3339: "2026-11-25T10:00:00+09:00")!, in: tokyo).description == "2026-W47")
    }
}

/// A ledger with a week of messages, some read, and an exporter over it.
struct ExportHarness {
    let base: LedgerHarness
    let tokyo = TimeZone(identifier: "Asia/Tokyo")!
    var exportDir: String { base.dir.file("exports") }

    init() throws { base = try LedgerHarness() }

    func exporter() -> Exporter {
        Exporter(store: base.ledger.exportStore, settings: ExportSettings(exportDir: exportDir, timeZone: tokyo, toolVersion: "test"))
    }

    func ms(_ rfc3339: String) -> Int64 { Instant(rfc3339: rfc3339)!.milliseconds }

    func rows(_ path: String) throws -> [String] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return text.components(separatedBy: "\r\n").filter { !$0.isEmpty }
    }
}

@Suite struct ExportTests {
    let w47 = ISOWeek(parsing: "2026-W47")!, w48 = ISOWeek(parsing: "2026-W48")!

    func fill(_ h: ExportHarness) throws {
        try h.base.capture(Webhook.body([
            Webhook.text("a", "=HYPERLINK(\"x\")", eventId: "ea", at: h.ms("2026-11-16T00:00:00+09:00")),
            Webhook.text("b", "改行\nと \"引用\", カンマ", eventId: "eb", at: h.ms("2026-11-20T12:00:00+09:00"), source: Webhook.source(user: "U2")),
            Webhook.text("c", "unread", eventId: "ec", at: h.ms("2026-11-21T12:00:00+09:00")),
            Webhook.text("d", "last second of Sunday", eventId: "ed", at: h.ms("2026-11-22T23:59:59+09:00")),
            Webhook.text("e", "first second of Monday", eventId: "ee", at: h.ms("2026-11-23T00:00:00+09:00")),
            Webhook.event("message", id: "es", at: h.ms("2026-11-18T09:00:00+09:00"),
                          extra: ["message": ["id": "s", "type": "sticker", "packageId": "1", "stickerId": "2", "keywords": ["ok", "thanks"], "text": "了解"]]),
            Webhook.event("message", id: "el", at: h.ms("2026-11-19T09:00:00+09:00"),
                          extra: ["message": ["id": "l", "type": "location", "title": "東京駅", "address": "千代田区丸の内", "latitude": 35.681, "longitude": 139.767]]),
        ]))
        _ = try h.base.ledger.readState.markRead(ids: ["a", "b", "d", "e", "s", "l"], by: "sato", at: Instant(rfc3339: "2026-11-23T09:00:00+09:00")!)
    }

    @Test func theWeekHoldsOnlyItsReadMessagesAndTheManifestCountsTheRest() throws {
        let h = try ExportHarness()
        try fill(h)
        let now = Instant(rfc3339: "2026-11-24T10:00:00+09:00")!
        let result = try h.exporter().run(week: w47, force: nil, forced: false, now: now)
        #expect(result.csvPath.hasSuffix("exports/talkvault-2026-W47.csv"))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: result.csvPath))
        #expect(Array(bytes.prefix(3)) == [0xEF, 0xBB, 0xBF])
        let rows = try h.rows(result.csvPath)
        #expect(rows.first == Exporter.columns.joined(separator: ","))   // the reader drops the BOM
        let ids = rows.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false)[0] }
        #expect(ids.count == 5)                                    // a, s, l, b, d: not c (unread), not e (next week)
        #expect(rows.contains { $0.contains("'=HYPERLINK(\"\"x\"\")") })
        #expect(try String(contentsOfFile: result.csvPath, encoding: .utf8).contains("\"改行\nと \"\"引用\"\", カンマ\""))
        #expect(rows.contains { $0.contains(",sticker,ok thanks / 了解,") })
        #expect(rows.contains { $0.contains(",location,\"東京駅 / 千代田区丸の内 / 35.681,139.767\",") })
        #expect(rows.contains { $0.hasPrefix("2026-11-22T23:59:59") })
        #expect(!rows.contains { $0.hasPrefix("2026-11-23T00:00:00") })
        let manifest = try JSONDecoder().decode(ExportManifest.self, from: Data(contentsOf: URL(fileURLWithPath: result.manifestPath)))
        #expect(manifest.rows == 5 && manifest.weekRows == 5 && manifest.lateRows.isEmpty)
        #expect(manifest.unread.total == 1 && manifest.unread.byChat == ["Uuser1": 1])
        #expect(manifest.start == "2026-11-16T00:00:00.000+09:00" && manifest.end == "2026-11-23T00:00:00.000+09:00")
        #expect(manifest.csv.sha256 == SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined())
        #expect(manifest.toolVersion == "test")
    }

    @Test func aLateReadGoesInTheNextExportAndADeliveredWeekNeverChanges() throws {
        let h = try ExportHarness()
        try fill(h)
        let first = try h.exporter().run(week: w47, force: nil, forced: false, now: Instant(rfc3339: "2026-11-24T10:00:00+09:00")!)
        let delivered = try Data(contentsOf: URL(fileURLWithPath: first.csvPath))
        _ = try h.base.ledger.readState.markRead(ids: ["c"], by: "suzuki", at: Instant(rfc3339: "2026-11-25T09:00:00+09:00")!)
        let again = try h.exporter().run(week: w47, force: nil, forced: false, now: Instant(rfc3339: "2026-11-26T10:00:00+09:00")!)
        #expect(again.alreadyDelivered)
        #expect(try Data(contentsOf: URL(fileURLWithPath: first.csvPath)) == delivered)
        let next = try h.exporter().run(week: w48, force: nil, forced: false, now: Instant(rfc3339: "2026-12-01T10:00:00+09:00")!)
        let rows = try h.rows(next.csvPath).dropFirst()
        #expect(rows.count == 2)                                   // e (its own week) and c (late)
        #expect(rows.contains { $0.contains(",c,text,unread,") && $0.hasSuffix(",true,,incoming,webhook") })
        #expect(rows.contains { $0.contains(",e,text,") && $0.hasSuffix(",false,,incoming,webhook") })
        // A changed delivered file is refused; --force needs a reason and records it.
        try Data("tampered".utf8).write(to: URL(fileURLWithPath: first.csvPath))
        #expect(throws: ExportError.self) { _ = try h.exporter().run(week: w47, force: nil, forced: false, now: Instant(rfc3339: "2026-12-01T11:00:00+09:00")!) }
        #expect(throws: ExportError.forceNeedsReason) { _ = try h.exporter().run(week: w47, force: nil, forced: true, now: Instant(rfc3339: "2026-12-01T11:00:00+09:00")!) }
        let forced = try h.exporter().run(week: w47, force: "auditor asked for a reissue", forced: true, now: Instant(rfc3339: "2026-12-01T11:00:00+09:00")!)
        let manifest = try JSONDecoder().decode(ExportManifest.self, from: Data(contentsOf: URL(fileURLWithPath: forced.manifestPath)))
        #expect(manifest.forced?.reason == "auditor asked for a reissue")
        // The rewrite holds the week's own rows as delivered; c stays in W48, where it went late.
        #expect(try h.rows(forced.csvPath).count == 6)
    }

    @Test func theSameDataGivesTheSameBytes() throws {
        var digests: [Data] = []
        for _ in 0..<2 {
            let h = try ExportHarness()
            try fill(h)
            let result = try h.exporter().run(week: w47, force: nil, forced: false, now: Instant(rfc3339: "2026-11-24T10:00:00+09:00")!)
            digests.append(try Data(contentsOf: URL(fileURLWithPath: result.csvPath)))
            digests.append(try Data(contentsOf: URL(fileURLWithPath: result.manifestPath)))
        }
        #expect(digests[0] == digests[2])
        #expect(digests[1] == digests[3])
    }
}

@Suite struct LineProfileTests {
    @Test func theLineProfileReadsBackAsAChatBackup() throws {
        let h = try ExportHarness()
        try ExportTests().fill(h)
        let exporter = Exporter(store: h.base.ledger.exportStore, settings: ExportSettings(exportDir: h.exportDir, timeZone: h.tokyo, toolVersion: "test",
                                                                                profile: .line, accountName: "テスト店"))
        let result = try exporter.run(week: ISOWeek(parsing: "2026-W47")!, force: nil, forced: false, now: Instant(rfc3339: "2026-11-24T10:00:00+09:00")!)
        #expect(result.csvPath.hasSuffix("talkvault-2026-W47-line.csv"))
        let text = try String(contentsOfFile: result.csvPath, encoding: .utf8)
        #expect(text.hasPrefix("アカウント名,テスト店\r\nタイムゾーン,'+09:00\r\nダウンロード日時,2026/11/24 10:00\r\n送信者タイプ,送信者名,送信日,送信時刻,内容\r\n"))
        let reader = try ChatBackupReader(path: result.csvPath)
        #expect(reader.preamble.accountName == "テスト店" && reader.preamble.utcOffsetSeconds == 9 * 3_600)
        var rows: [BackupRow] = []
        while let row = try reader.next() { rows.append(row) }
        #expect(rows.count == 5)
        #expect(rows[0].sender == .user && rows[0].senderName == "Uuser1" && rows[0].sentAt == Instant(rfc3339: "2026-11-16T00:00:00+09:00")!
                && rows[0].content == "'=HYPERLINK(\"x\")")
        #expect(rows.contains { $0.content == "改行\nと \"引用\", カンマ" && $0.sentAt == Instant(rfc3339: "2026-11-20T12:00:00+09:00")! })
        #expect(rows.contains { $0.placeholder == .sticker })
        // The same week in the full profile is a separate delivery.
        let full = try h.exporter().run(week: ISOWeek(parsing: "2026-W47")!, force: nil, forced: false, now: Instant(rfc3339: "2026-11-24T10:00:00+09:00")!)
        #expect(!full.alreadyDelivered)
    }
}

/// The export opened by a real spreadsheet: LibreOffice converts it headless, and the Japanese
/// text and the guarded formula must come through as text. CI installs LibreOffice
/// (`scripts/deps --test`) and requires it there; elsewhere, without `soffice` on PATH, the test
/// shows as skipped rather than passing untried.
@Suite struct SpreadsheetTests {
    static let canRun = which("soffice") != nil || ProcessInfo.processInfo.environment["CI"] != nil

    @Test(.enabled(if: canRun, "LibreOffice (soffice) is not installed here; CI installs it with scripts/deps --test"))
    func libreOfficeOpensTheExportWithTheTextIntact() throws {
        let soffice = try #require(which("soffice"), "CI must have LibreOffice: scripts/deps --test installs it")
        let h = try ExportHarness()
        try ExportTests().fill(h)
        try h.base.capture(Webhook.body([Webhook.text("568790102345678901", "a real LINE id", eventId: "eid", at: h.ms("2026-11-17T10:00:00+09:00"))]))
        _ = try h.base.ledger.readState.markRead(ids: ["568790102345678901"], by: "sato", at: Instant(rfc3339: "2026-11-23T09:00:00+09:00")!)
        let result = try h.exporter().run(week: ISOWeek(parsing: "2026-W47")!, force: nil, forced: false, now: Instant(rfc3339: "2026-11-24T10:00:00+09:00")!)
        let out = h.base.dir.file("lo")
        let profile = "file://" + h.base.dir.file("lo-profile")
        let converted = try run(soffice, ["-env:UserInstallation=\(profile)", "--headless", "--infilter=CSV:44,34,76,1",
                                          "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1", "--outdir", out, result.csvPath])
        #expect(converted.status == 0, "\(converted.stderr)")
        let text = try String(contentsOfFile: out + "/talkvault-2026-W47.csv", encoding: .utf8)
        #expect(text.contains("改行\nと \"\"引用\"\", カンマ"))
        #expect(text.contains("東京駅 / 千代田区丸の内"))
        #expect(text.contains("'=HYPERLINK(\"\"x\"\")"))     // kept as text, never evaluated
        #expect(text.contains("了解"))
        // An 18-digit message id comes back with every digit, as text, not as 5.68790102345679E+17.
        #expect(text.contains("\"568790102345678901\""))
        #expect(!text.contains("E+017"))
    }
}
