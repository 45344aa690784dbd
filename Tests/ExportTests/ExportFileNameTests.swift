import Archive
@testable import Export
import Foundation
import Store
import TalkVaultDomain
import Testing
import TestSupport

/// A file's name as sent can hold NUL or a bidi override (`invoice\u{202E}fdp.exe` shows as
/// "invoiceexe.pdf"). The `full` profile writes the archive's safe name in `text` and the name
/// as sent, with such characters made visible, in its last column; the `line` profile names no
/// file, as LINE's own backup does.
@Suite struct ExportFileNameTests {
    let w47 = ISOWeek(parsing: "2026-W47")!
    let names: [(id: String, sent: String, safe: String, visible: String)] = [
        ("f1", "evil\u{0}name.txt", "evil_name.txt", "evil<U+0000>name.txt"),
        ("f2", "invoice\u{202E}fdp.exe", "invoice_fdp.exe", "invoice<U+202E>fdp.exe"),
        ("f3", "../../etc/passwd", "passwd", "../../etc/passwd"),
        ("f4", "議事録\u{2066}\r\n.pdf", "議事録___.pdf", "議事録<U+2066><U+000D><U+000A>.pdf"),
        ("f5", "見積書.pdf", "見積書.pdf", "見積書.pdf"),
    ]

    func filled() throws -> ExportHarness {
        let h = try ExportHarness()
        var events = names.enumerated().map { index, name in
            Webhook.media(name.id, type: "file", eventId: "e-\(name.id)", at: h.ms("2026-11-17T10:00:00+09:00") + Int64(index),
                          extra: ["fileName": name.sent, "fileSize": 10])
        }
        events.append(Webhook.text("t1", "hello", eventId: "e-t1", at: h.ms("2026-11-18T10:00:00+09:00")))
        try h.base.capture(Webhook.body(events))
        _ = try h.base.ledger.readState.markRead(ids: names.map(\.id) + ["t1"], by: "sato", at: Instant(rfc3339: "2026-11-23T09:00:00+09:00")!)
        return h
    }

    @Test func theFullProfileWritesTheSafeNameAndTheOriginalVisibly() throws {
        let h = try filled()
        let result = try h.exporter().run(week: w47, force: nil, forced: false, now: Instant(rfc3339: "2026-11-24T10:00:00+09:00")!)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: result.csvPath))
        #expect(!bytes.contains(0x00), "no NUL byte in the file")
        let text = String(decoding: bytes, as: UTF8.self)
        for hidden in ["\u{202E}", "\u{2066}"] { #expect(!text.contains(hidden)) }
        let rows = try h.rows(result.csvPath)
        #expect(rows.first == Exporter.columns.joined(separator: ","))
        #expect(Exporter.columns.suffix(3) == ["original_file_name", "direction", "source"])
        #expect(Exporter.columns.firstIndex(of: "late") == 16, "existing columns keep their positions")
        for name in names {
            let row = try #require(rows.first { $0.contains(",\(name.id),file,") })
            let fields = row.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            #expect(fields.count == Exporter.columns.count)
            #expect(fields[11] == name.safe && name.safe == SafeName.make(name.sent), "\(name.id): the archive's safe name")
            #expect(fields[17] == name.visible, "\(name.id)")
        }
        let textRow = try #require(rows.first { $0.contains(",t1,text,") })
        #expect(textRow.hasSuffix(",false,,incoming,webhook"), "no file name for a text message")
    }

    @Test func theLineProfileNamesNoFileAsLINEsOwnBackup() throws {
        let h = try filled()
        let exporter = Exporter(store: h.base.ledger.exportStore, settings: ExportSettings(exportDir: h.exportDir, timeZone: h.tokyo, toolVersion: "test",
                                                                                profile: .line, accountName: "テスト店"))
        let result = try exporter.run(week: w47, force: nil, forced: false, now: Instant(rfc3339: "2026-11-24T10:00:00+09:00")!)
        let rows = try h.rows(result.csvPath)
        #expect(rows[3] == OAManagerCSV.header.joined(separator: ","))
        let files = rows.filter { $0.hasSuffix(",ファイルを送信しました。") }
        #expect(files.count == names.count)
        #expect(files.allSatisfy { $0.split(separator: ",").count == 5 })
        #expect(!rows.contains { $0.contains("evil") || $0.contains("invoice") || $0.contains("passwd") })
    }
}
