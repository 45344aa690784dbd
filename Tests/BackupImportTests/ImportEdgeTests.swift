@testable import BackupImport
import DurableFile
import Foundation
@testable import Ledger
import Store
import TalkVaultDomain
import Testing
import TestSupport

/// What a backup and the ledger can disagree on, and how an import resolves it.
@Suite struct ImportEdgeTests {
    let h = ImportHarness()

    @Test func aFormerNameOfAnotherUserDoesNotTakeANewCustomersRows() throws {
        // Uold was 「ケン」 once; the new customer 「ケン」 (Unew) has no profile fetched yet.
        try h.text("old1", "昔の話", at: ImportHarness.ms("2025/08/01 10:00:00"), user: "Uold")
        try h.name("Uold", "ケン", at: Instant(milliseconds: ImportHarness.ms("2025/08/01 00:00:00")))
        try h.name("Uold", "ケンジ")
        try h.text("new1", "はじめまして", at: ImportHarness.ms("2025/09/12 10:00:00", plus: 5), user: "Unew")
        let report = try h.run(h.backup([["User", "ケン", "2025/09/12", "10:00:00", "はじめまして"]], chat: "ケン"))
        #expect(report.files[0].chatId == "unmatched:ケン", "the rows are Unew's captured message, not Uold's")
        #expect(try h.column("SELECT read_by FROM messages WHERE id = 'old1'") == ["-"])
        // A week of only staff replies says nothing of who 「ケン」 is: a former name does not take it.
        let replies = try h.run(h.backup([["Account", "鈴木", "2025/09/13", "10:00:00", "ご来店ありがとうございました"]], chat: "ケン",
                                         from: "20250913", to: "20250919", in: "replies"))
        #expect(replies.files[0].chatId == "unmatched:ケン")
        // Under a name its user has now, it goes to that chat.
        let now = try h.run(h.backup([["Account", "鈴木", "2025/09/13", "10:00:00", "ご来店ありがとうございました"]], chat: "ケンジ",
                                     from: "20250913", to: "20250919", in: "now"))
        #expect(now.files[0].chatId == "Uold")
    }

    @Test func unsendsSeenAtDifferentTimesStillMatch() throws {
        try h.name("Uuser1", "山田 太郎")
        // Unsent after the backup was downloaded: the backup still shows the text.
        try h.text("m1", "口座番号は1234567です", at: ImportHarness.ms("2025/09/12 10:00:00", plus: 5))
        try h.base.capture(Webhook.body([Webhook.unsend("m1", eventId: "u1", at: ImportHarness.ms("2025/09/12 10:01:00"))]))
        // Unsent before the download, and the unsend not yet captured: the backup shows the line.
        try h.text("m2", "まちがい", at: ImportHarness.ms("2025/09/12 10:02:00", plus: 5))
        let report = try h.run(h.backup([
            ["User", "山田 太郎", "2025/09/12", "10:00:00", "口座番号は1234567です"],
            ["User", "山田 太郎", "2025/09/12", "10:02:00", BackupPlaceholderText.unsent],
        ]))
        #expect(report.matched == 2 && report.newIncoming == 0, "no text comes back as a new message")
        #expect(try h.count("SELECT count(*) FROM messages WHERE text LIKE '口座%'") == 1)
    }

    @Test func audioFilesTheExportsArchivedFormsAndGuardedTextMatch() throws {
        try h.name("Uuser1", "山田 太郎")
        let source = Webhook.source(user: "Uuser1")
        try h.base.capture(Webhook.body([
            Webhook.media("a1", type: "audio", eventId: "e1", at: ImportHarness.ms("2025/09/12 10:00:00", plus: 5), source: source),
            Webhook.media("f1", type: "file", eventId: "e2", at: ImportHarness.ms("2025/09/12 10:01:00", plus: 5), source: source,
                          extra: ["fileName": "見積書.pdf", "fileSize": 10]),
            Webhook.media("i1", type: "image", eventId: "e3", at: ImportHarness.ms("2025/09/12 10:02:00", plus: 5), source: source),
        ]))
        try h.text("t1", "-1でお願いします", at: ImportHarness.ms("2025/09/12 10:03:00", plus: 5))
        let report = try h.run(h.backup([
            ["User", "山田 太郎", "2025/09/12", "10:00:00", "ボイスメッセージを送信しました。"],
            ["User", "山田 太郎", "2025/09/12", "10:01:00", "ファイルを送信しました。"],
            ["User", "山田 太郎", "2025/09/12", "10:02:00", "[写真] 2025/09/12/talkvault-2025-09-12-0001.tar.gz:content/i1/image.jpg"],
            ["User", "山田 太郎", "2025/09/12", "10:03:00", "'-1でお願いします"],
        ]))
        #expect(report.matched == 4 && report.newIncoming == 0)
    }

    @Test func identicalRowsOfOneSecondInTwoOverlappingBackupsStayTwo() throws {
        try h.text("m1", "はい", at: ImportHarness.ms("2025/09/14 10:00:00", plus: 10))
        try h.name("Uuser1", "山田 太郎")
        let pair = [["User", "山田 太郎", "2025/09/14", "10:00:00", "はい"], ["User", "山田 太郎", "2025/09/14", "10:00:00", "はい"]]
        let first = try h.run(h.backup(pair))
        #expect(first.matched == 1 && first.newIncoming == 1)
        let second = try h.run(h.backup(pair + [["User", "山田 太郎", "2025/09/15", "09:00:00", "はい"]], from: "20250913", to: "20250919",
                                        downloaded: "2025/09/19 10:00", in: "week2"))
        #expect(second.matched == 2 && second.newIncoming == 1, "the pair again matches the pair; the third is new")
        #expect(try h.count("SELECT count(*) FROM messages WHERE text = 'はい'") == 3)
    }

    @Test func aBackupFilesBytesLostBeforePackingAreStagedAgainByTheNextImport() throws {
        try h.name("Uuser1", "山田 太郎")
        try h.text("m1", "はい", at: ImportHarness.ms("2025/09/12 10:00:00"))
        let file = h.backup([["User", "山田 太郎", "2025/09/12", "10:00:00", "はい"]])
        try h.run(file)
        let id = try #require(try h.column("SELECT id FROM messages WHERE line_type = 'oaChatBackup'").first)
        // As `pack` does when a staged file has vanished: back to content_due.
        for name in h.staged { try FileManager.default.removeItem(atPath: h.dir.file("staging/import/" + name)) }
        _ = try h.ledger.db.run("UPDATE messages SET state = 'content_due', staged_file = NULL WHERE id = ?1", [.text(id)])
        #expect(try h.ledger.contentQueue.dueContent(limit: nil, kinds: [], until: nil).isEmpty, "never asked of LINE")
        #expect(try h.run(file).files.map(\.outcome) == [.alreadyImported])
        #expect(try h.column("SELECT state FROM messages WHERE id = '\(id)'") == ["downloaded"] && h.staged == [id + ".csv"])
        let sha = try FileDigest.sha256(ofFile: h.dir.file("staging/import/" + id + ".csv")).sha256
        #expect(try h.column("SELECT content_sha256 FROM messages WHERE id = '\(id)'") == [sha], "pack checks the bytes against it")
    }

    @Test func macOSResourceForksAreNotBackups() throws {
        _ = h.backup([["User", "x", "2025/09/12", "10:00:00", "x"]], chat: "x", in: "dir")
        _ = h.dir.write("dir/._20250912_20250918_x.csv", "\u{0}\u{5}binary")
        let report = try h.run(h.dir.file("dir"))
        #expect(report.files.count == 1 && report.rejectedFiles == 0)
    }

    /// Each channel's unmatched chat of one name is its own: settling one leaves the other's.
    @Test func settlingAnUnmatchedNameInOneChannelLeavesAnothersAlone() throws {
        for channel in ["shop-a", "shop-b"] {
            _ = try h.base.capturer.capture([Webhook.body([Webhook.text("m-\(channel)", "こんにちは", eventId: "e-\(channel)",
                                                                        at: ImportHarness.ms("2025/09/01 10:00:00"))])], channel: channel)
        }
        let file = h.backup([["User", "ケン", "2025/09/12", "10:00:00", "先週の件"], ["Account", "鈴木", "2025/09/12", "10:01:00", "はい"]],
                            chat: "ケン")
        func importer(_ channel: String, maps: [String: String] = [:]) -> Importer {
            Importer(store: h.ledger.importStore,
                     settings: ImportSettings(dataDir: h.dir.path, channel: channel, policy: .lineDefaults, maps: maps),
                     clock: FixedClock(ImportHarness.now))
        }
        _ = try importer("shop-a").run(paths: [file])
        _ = try importer("shop-b").run(paths: [file])
        #expect(try h.count("SELECT count(*) FROM messages WHERE chat_id = 'unmatched:ケン'") == 6)
        let settled = try importer("shop-a", maps: ["ケン": "Uuser1"]).run(paths: [])
        #expect(settled.settled.first?.moved == 3)
        #expect(try h.column("SELECT channel, count(*) FROM messages WHERE chat_id = 'unmatched:ケン' GROUP BY channel") == ["shop-b|3"])
        #expect(try h.column("SELECT channel, count(*) FROM raw_events WHERE chat_id = 'unmatched:ケン' GROUP BY channel") == ["shop-b|3"])
        #expect(try h.count("SELECT count(*) FROM chats WHERE chat_id = 'unmatched:ケン'") == 1, "shop-b's rows keep their chat")
        #expect(try importer("shop-b").run(paths: []).unmatchedChats["ケン"]?.rows == 2)
    }
}
