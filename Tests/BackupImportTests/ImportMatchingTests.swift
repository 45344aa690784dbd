@testable import BackupImport
import Foundation
import Ledger
import Store
import TalkVaultDomain
import Testing
import TestSupport

@Suite struct ImportMatchingTests {
    let h = ImportHarness()

    @Test func userRowsMatchCapturedMessagesByChatSecondTextAndPositionAndTheAccountsRowsAreOutgoing() throws {
        try h.text("m1", "こんにちは", at: ImportHarness.ms("2025/09/12 10:00:00", plus: 250))
        try h.text("m2", "はい", at: ImportHarness.ms("2025/09/12 10:00:05", plus: 100))
        try h.text("other", "こんにちは", at: ImportHarness.ms("2025/09/12 10:00:00", plus: 300), user: "Uuser2")
        try h.name("Uuser1", "山田 太郎")
        try h.name("Uuser2", "佐藤 花子")
        _ = try h.ledger.readState.markRead(ids: ["m2"], by: "staff", at: Instant(milliseconds: ImportHarness.ms("2025/09/12 11:00:00")))
        let file = h.backup([
            ["User", "山田 太郎", "2025/09/12", "10:00:00", "こんにちは"],
            ["Account", "応答メッセージ", "2025/09/12", "10:00:01", "ご連絡ありがとうございます。\r\n担当者より折り返します"],
            ["User", "山田 太郎", "2025/09/12", "10:00:05", "はい"],
            ["User", "山田 太郎", "2025/09/12", "10:00:05", "はい"],
            ["Account", "鈴木", "2025/09/12", "10:02:00", "=HYPERLINK(\"http://x\")"],
        ])
        let report = try h.run(file)
        #expect(report.files.map(\.outcome) == [.imported])
        #expect(report.matched == 2 && report.newIncoming == 1 && report.newOutgoing == 2)
        #expect(report.files[0].chatId == "Uuser1" && report.files[0].newlyRead == 1)
        // The captured message is read by the import, at the backup's download time; an earlier read stands.
        #expect(try h.column("SELECT id, read_by, read_at_ms FROM messages WHERE id IN ('m1','m2') ORDER BY id") == [
            "m1|oa-import|\(ImportHarness.ms("2025/09/18 14:30:00"))", "m2|staff|\(ImportHarness.ms("2025/09/12 11:00:00"))"])
        #expect(try h.column("SELECT read_by FROM messages WHERE id = 'other'") == ["-"], "another chat's same text is not touched")
        let imported = try h.column("""
            SELECT direction, source, coalesce(sender_id, '-'), sender_name, text FROM messages
            WHERE source = 'oa-import' AND line_type != 'oaChatBackup' ORDER BY sent_at_ms, id
            """)
        #expect(imported == [
            "outgoing|oa-import|-|応答メッセージ|ご連絡ありがとうございます。\n担当者より折り返します",
            "incoming|oa-import|Uuser1|山田 太郎|はい",
            "outgoing|oa-import|-|鈴木|=HYPERLINK(\"http://x\")",
        ], "the formula is kept as text; the export's guard applies when it is written")
        #expect(try h.column("SELECT detail FROM message_history WHERE message_id = 'm1' AND what = 'imported'")
                == ["20250912_20250918_山田 太郎.csv:5"], "the matched message records the file and row")
    }

    @Test func importingTheSameFileTwiceOrAnOverlappingWeekAddsNothing() throws {
        try h.text("m1", "はい", at: ImportHarness.ms("2025/09/12 10:00:00", plus: 10))
        try h.name("Uuser1", "山田 太郎")
        let week1 = h.backup([
            ["User", "山田 太郎", "2025/09/12", "10:00:00", "はい"],
            ["User", "山田 太郎", "2025/09/12", "10:00:00", "はい"],
            ["Account", "鈴木", "2025/09/13", "09:00:00", "承知しました"],
        ])
        try h.run(week1)
        let before = try h.count("SELECT count(*) FROM messages")
        #expect(try h.run(week1).files.map(\.outcome) == [.alreadyImported])
        let overlapping = h.backup([
            ["User", "山田 太郎", "2025/09/12", "10:00:00", "はい"],
            ["User", "山田 太郎", "2025/09/12", "10:00:00", "はい"],
            ["Account", "鈴木", "2025/09/13", "09:00:00", "承知しました"],
            ["User", "山田 太郎", "2025/09/16", "12:00:00", "ありがとう"],
        ], from: "20250913", to: "20250919", downloaded: "2025/09/19 10:00", in: "in2")
        let report = try h.run(overlapping)
        #expect(report.files[0].rejectedRows.map(\.line) == [5, 6], "the two rows dated before the file's range are left out")
        #expect(report.matched == 1 && report.newIncoming == 1 && report.newOutgoing == 0)
        #expect(try h.count("SELECT count(*) FROM messages") == before + 2, "the new row and the second file itself")
        #expect(try h.count("SELECT count(*) FROM messages WHERE text = 'はい'") == 2, "two 「はい」 in one second stay two")
    }

    @Test func anEditedMessageAnUnsentOneAndMediaMatchAsTheBackupShowsThem() throws {
        let source = Webhook.source(user: "Uuser1")
        try h.text("m1", "明日伺います", at: ImportHarness.ms("2025/09/12 10:00:00", plus: 5))
        try h.base.capture(Webhook.body([Webhook.edit("m1", "明後日伺います", eventId: "ed1", at: ImportHarness.ms("2025/09/12 10:05:00"), source: source)]))
        try h.text("m2", "まちがい", at: ImportHarness.ms("2025/09/12 10:01:00", plus: 5))
        try h.base.capture(Webhook.body([Webhook.unsend("m2", eventId: "un2", at: ImportHarness.ms("2025/09/12 10:02:00"), source: source)]))
        try h.base.capture(Webhook.body([Webhook.media("m3", type: "image", eventId: "ev3", at: ImportHarness.ms("2025/09/12 10:03:00", plus: 900), source: source)]))
        try h.name("Uuser1", "山田 太郎")
        let report = try h.run(h.backup([
            ["User", "山田 太郎", "2025/09/12", "10:00:00", "明後日伺います"],
            ["User", "山田 太郎", "2025/09/12", "10:01:00", BackupPlaceholderText.unsent],
            ["User", "山田 太郎", "2025/09/12", "10:03:00", BackupPlaceholderText.image],
            ["User", "山田 太郎", "2025/09/12", "10:04:00", BackupPlaceholderText.video],
        ]))
        #expect(report.matched == 3 && report.newIncoming == 1, "\(report)")
        #expect(try h.column("SELECT kind, state, reason FROM messages WHERE source = 'oa-import' AND line_type != 'oaChatBackup'")
                == ["video|lost|not_captured"], "a placeholder nothing captured is content never captured, with its reason")
    }

    @Test func aDisplayNameThatChangedBetweenBackupsStillFindsItsChat() throws {
        try h.text("m1", "old", at: ImportHarness.ms("2025/09/12 10:00:00"))
        try h.name("Uuser1", "旧姓 花子", at: Instant(milliseconds: ImportHarness.ms("2025/09/01 00:00:00")))
        try h.name("Uuser1", "新姓 花子")
        let report = try h.run(h.backup([["User", "旧姓 花子", "2025/09/12", "10:00:00", "old"]], chat: "旧姓 花子"))
        #expect(report.files[0].chatId == "Uuser1" && report.matched == 1 && report.unmatchedChats.isEmpty)
    }

    @Test func twoUsersWithOneNameAreToldApartByWhatWasCapturedOrWaitUntilMapSettlesIt() throws {
        try h.text("a1", "こんにちは", at: ImportHarness.ms("2025/09/12 10:00:00", plus: 1))
        try h.text("b1", "どうも", at: ImportHarness.ms("2025/09/12 11:00:00", plus: 1), user: "Uuser2")
        try h.name("Uuser1", "田中")
        try h.name("Uuser2", "田中")
        // The customer's row matches Uuser1's captured message: that is the chat.
        let known = h.backup([["User", "田中", "2025/09/12", "10:00:00", "こんにちは"]], chat: "田中", in: "known")
        #expect(try h.run(known).files[0].chatId == "Uuser1")
        // Rows that match nothing captured (sent before capture began) say nothing: they wait.
        let file = h.backup([
            ["User", "田中", "2025/09/13", "10:00:00", "先週の件です"],
            ["Account", "鈴木", "2025/09/13", "10:00:30", "はい、どうぞ"],
        ], chat: "田中", from: "20250913", to: "20250919")
        let report = try h.run(file)
        #expect(report.unmatchedChats["田中"] == ImportReport.Unmatched(candidates: ["Uuser1", "Uuser2"], rows: 2))
        #expect(report.files[0].chatId == "unmatched:田中" && report.newIncoming == 1 && report.newOutgoing == 1)
        #expect(try h.run(h.backup([], chat: "他", in: "other")).unmatchedChats["田中"]?.rows == 2, "reported on every run until settled")
        // A map to the unmatched chat itself, or to no captured chat, is refused: nothing is lost.
        #expect(throws: ImportError.self) { try h.run(file, maps: ["田中": "unmatched:田中"]) }
        #expect(try h.count("SELECT count(*) FROM messages WHERE chat_id = 'unmatched:田中'") == 3)
        // Settling moves the held rows (and the file's own message); the same file again adds nothing.
        let settled = try h.run(file, maps: ["田中": "Uuser1"])
        #expect(settled.settled == [.init(name: "田中", chatId: "Uuser1", moved: 3, merged: 0)])
        #expect(settled.files.map(\.outcome) == [.alreadyImported] && settled.unmatchedChats.isEmpty)
        #expect(try h.column("SELECT chat_id, coalesce(sender_id, '-') FROM messages WHERE source = 'oa-import' AND line_type = 'text' ORDER BY sent_at_ms")
                == ["Uuser1|Uuser1", "Uuser1|-"], "the customer's row now has its sender; the reply has none")
        #expect(try h.column("SELECT sender_id FROM raw_events WHERE type = 'oaBackupRow' AND body LIKE '%先週%'") == ["Uuser1"])
        // A settled name is no identity: Uuser2's next backup goes by its captured message.
        let later = h.backup([["User", "田中", "2025/09/12", "11:00:00", "どうも"]], chat: "田中", in: "later")
        #expect(try h.run(later).files[0].chatId == "Uuser2")
    }

    @Test func aSettledCopyOfACapturedMessageMergesIntoIt() throws {
        try h.text("a1", "こんにちは", at: ImportHarness.ms("2025/09/12 10:00:00", plus: 1))
        // No profile name yet: the rows wait, the customer's a copy of a1.
        let file = h.backup([["User", "山田", "2025/09/12", "10:00:00", "こんにちは"], ["Account", "鈴木", "2025/09/12", "10:00:30", "はい"]],
                            chat: "山田")
        #expect(try h.run(file).files[0].chatId == "unmatched:山田")
        let settled = try h.run(file, maps: ["山田": "Uuser1"])
        #expect(settled.settled == [.init(name: "山田", chatId: "Uuser1", moved: 2, merged: 1)], "the reply and the file's message moved")
        #expect(try h.column("SELECT read_by FROM messages WHERE id = 'a1'") == ["oa-import"])
        #expect(try h.count("SELECT count(*) FROM messages WHERE chat_id LIKE 'unmatched:%'") == 0)
        #expect(try h.count("SELECT count(*) FROM chats WHERE chat_id LIKE 'unmatched:%'") == 0)
    }

    @Test func aDryRunChangesNothing() throws {
        try h.text("m1", "はい", at: ImportHarness.ms("2025/09/12 10:00:00"))
        try h.name("Uuser1", "山田 太郎")
        let file = h.backup([["User", "山田 太郎", "2025/09/12", "10:00:00", "はい"], ["Account", "鈴木", "2025/09/12", "10:00:01", "ok"]])
        let counts = try h.ledger.statusStore.tableCounts()
        let report = try h.run(file, dryRun: true)
        #expect(report.dryRun && report.matched == 1 && report.newOutgoing == 1)
        #expect(try h.ledger.statusStore.tableCounts() == counts && h.staged.isEmpty)
        #expect(try h.run(file).matched == 1, "and the real run does what the dry run said")
        #expect(h.staged.count == 1, "the file's bytes wait for pack")
    }
}

/// The placeholders as LINE writes them, spelled out so a test fails if the reader's change.
enum BackupPlaceholderText {
    static let image = "写真を送信しました。"
    static let video = "動画を送信しました。"
    static let unsent = "送信が取り消されたメッセージです"
}
