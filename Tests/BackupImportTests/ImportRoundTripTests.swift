@testable import BackupImport
import Export
import Foundation
import Store
import TalkVaultDomain
import Testing
import TestSupport

@Suite struct ImportRoundTripTests {
    /// One conversation as `thread` would list it: time, side, sender, what.
    static func conversation(_ h: ImportHarness, chat: String) throws -> [String] {
        try h.column("""
            SELECT m.sent_at_ms / 1000, m.direction, coalesce(m.sender_name, p.display_name, ''), m.kind, m.state, coalesce(m.text, '')
            FROM messages m LEFT JOIN profiles p ON p.user_id = m.sender_id AND p.chat_id = ''
            WHERE m.chat_id = '\(chat)' AND m.line_type != 'oaChatBackup' ORDER BY m.sent_at_ms / 1000, m.direction, m.text
            """)
    }

    /// Captured and imported messages exported in the `line` profile, then imported into a
    /// fresh data dir, give the same conversation: LINE's layout carries both sides.
    @Test func aLineProfileExportOfBothSidesImportsBackAsTheSameConversation() throws {
        let h = ImportHarness()
        try h.text("m1", "予約できますか?", at: ImportHarness.ms("2025/09/09 10:00:00", plus: 120))
        try h.text("m2", "はい", at: ImportHarness.ms("2025/09/09 10:05:00", plus: 10))
        try h.text("m3", "はい", at: ImportHarness.ms("2025/09/09 10:05:00", plus: 20))
        try h.name("Uuser1", "山田 太郎")
        try h.run(h.backup([
            ["User", "山田 太郎", "2025/09/09", "10:00:00", "予約できますか?"],
            ["Account", "応答メッセージ", "2025/09/09", "10:00:01", "ありがとうございます。\r\n担当者より折り返します"],
            ["Account", "鈴木", "2025/09/09", "10:03:00", "\"明日\"の10時, いかがでしょう"],
            ["User", "山田 太郎", "2025/09/09", "10:05:00", "はい"],
            ["User", "山田 太郎", "2025/09/09", "10:05:00", "はい"],
            ["User", "山田 太郎", "2025/09/09", "10:06:00", "写真を送信しました。"],
        ], from: "20250908", to: "20250914", downloaded: "2025/09/15 09:00"))
        let exporter = Exporter(store: h.ledger.exportStore,
                                settings: ExportSettings(exportDir: h.dir.file("exports"), timeZone: TimeZone(identifier: "Asia/Tokyo")!,
                                                         toolVersion: "test", profile: .line, accountName: "サンプル店"))
        let export = try exporter.run(week: ISOWeek(parsing: "2025-W37")!, force: nil, forced: false,
                                      now: Instant(rfc3339: "2025-09-16T09:00:00+09:00")!)
        let original = try Self.conversation(h, chat: "Uuser1")
        #expect(original.count == 6)

        // The export, named as the OA Manager names a chat's backup, into a fresh data dir.
        let fresh = ImportHarness()
        try FileManager.default.createDirectory(atPath: fresh.dir.file("in"), withIntermediateDirectories: true)
        let copy = fresh.dir.file("in/20250908_20250914_山田 太郎.csv")
        try FileManager.default.copyItem(atPath: export.csvPath, toPath: copy)
        let report = try fresh.run(copy)
        #expect(report.files.map(\.outcome) == [.imported] && report.newIncoming == 4 && report.newOutgoing == 2)
        #expect(try Self.conversation(fresh, chat: "unmatched:山田 太郎") == original)
    }
}
