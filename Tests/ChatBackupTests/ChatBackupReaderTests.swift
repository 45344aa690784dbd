@testable import ChatBackup
import Foundation
import TalkVaultDomain
import Testing
import TestSupport

/// The OA Manager's chat backup as LINE writes it (see PRODUCT.md): read a row at a time, with
/// times in the file's own offset, and every bad file named at its line.
@Suite struct ChatBackupReaderTests {
    let dir = TempDir()
    static let preamble = "アカウント名,サンプル店\r\nタイムゾーン,'+09:00\r\nダウンロード日時,2025/09/18 14:30\r\n送信者タイプ,送信者名,送信日,送信時刻,内容\r\n"

    func read(_ text: String, name: String = "20250912_20250918_山田 太郎.csv") throws(ChatBackupError) -> (BackupPreamble, [BackupRow]) {
        let path = dir.file(name)
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        let reader = try ChatBackupReader(path: path, name: name)
        var rows: [BackupRow] = []
        while let row = try reader.next() { rows.append(row) }
        return (reader.preamble, rows)
    }

    func failure(_ text: String) -> ChatBackupError? {
        do { _ = try read(text, name: "bad.csv"); return nil } catch { return error }
    }

    @Test func linesOwnLayoutIsRead() throws {
        let text = "\u{FEFF}" + Self.preamble
            + "User,山田 太郎,2025/09/18,14:24:55,予約できますか?\r\n"
            + "Account,応答メッセージ,2025/09/18,14:24:56,\"ありがとうございます。\r\n担当より折り返します。\"\r\n"
            + "User,山田 太郎,2025/09/18,14:25:00,写真を送信しました。\r\n"
            + "User,山田 太郎,2025/09/18,14:25:00,写真を送信しました。\r\n"
            + "Account,佐藤,2025/09/18,14:26:00,\"一行目_x000D_\n二行目\"\r\n"
            + "User,山田 太郎,2025/09/18,14:27:00,'(clock) =1+1\r\n"
            + "User,山田 太郎,2025/09/18,14:28:00,送信が取り消されたメッセージです\r\n"
        let (preamble, rows) = try read(text)
        #expect(preamble.accountName == "サンプル店" && preamble.utcOffsetSeconds == 32_400)
        #expect(preamble.downloadedAt == Instant(rfc3339: "2025-09-18T14:30:00+09:00")!)
        #expect(rows.count == 7)
        #expect(rows[0].sender == .user && rows[0].senderName == "山田 太郎" && rows[0].content == "予約できますか?" && rows[0].placeholder == nil)
        #expect(rows[0].sentAt == Instant(rfc3339: "2025-09-18T05:24:55Z")!, "in the file's offset")
        #expect(rows[1].sender == .account && rows[1].senderName == "応答メッセージ" && rows[1].content == "ありがとうございます。\r\n担当より折り返します。")
        #expect(rows.map(\.line) == [5, 6, 8, 9, 10, 12, 13], "each row's first line, a quoted line break counted")
        #expect(rows[2] == BackupRow(line: 8, sender: .user, senderName: "山田 太郎", sentAt: rows[3].sentAt, content: "写真を送信しました。", placeholder: .image))
        #expect(rows[3].placeholder == .image, "identical rows in one second are both kept")
        #expect(rows[4].content == "一行目\r\n二行目")
        #expect(rows[5].content == "'(clock) =1+1" && rows[5].placeholder == nil, "a leading quote and a formula stay text")
        #expect(rows[6].placeholder == .unsent && rows[6].placeholder?.kind == nil)
    }

    @Test func lfLineEndsNoBOMAndOtherOffsetsAreRead() throws {
        let text = "アカウント名,\"店, 本店\"\nタイムゾーン,-05:30\nダウンロード日時,2025/1/2 3:04:05\n送信者タイプ,送信者名,送信日,送信時刻,内容\n"
            + "User,A,2025/01/01,23:59:59,動画を送信しました。\n\nAccount,B,2025/01/02,00:00:00,\"\"\"引用\"\"\"\n"
        let (preamble, rows) = try read(text)
        #expect(preamble.accountName == "店, 本店" && preamble.utcOffsetSeconds == -19_800)
        #expect(rows.count == 2, "a blank line is skipped")
        #expect(rows[0].sentAt == Instant(rfc3339: "2025-01-01T23:59:59-05:30")! && rows[0].placeholder == .video)
        #expect(rows[1].line == 7 && rows[1].content == "\"引用\"")
    }

    @Test(arguments: [
        ("送信者タイプ,送信者名,送信日,送信時刻,内容\r\n", 1, "expected the line 'アカウント名,…'"),
        ("アカウント名,x\r\n", 2, "ends before its 'タイムゾーン,…' line"),
        ("アカウント名,x\r\nタイムゾーン,Asia/Tokyo\r\n", 2, "an offset such as '+09:00'"),
        ("アカウント名,x\r\nタイムゾーン,+09:00\r\nダウンロード日時,昨日\r\n", 3, "2025/09/18 14:30"),
        ("アカウント名,x\r\nタイムゾーン,+09:00\r\nダウンロード日時,2025/09/18 14:30\r\n日付,内容\r\n", 4, "expected the header"),
        (preamble + "Bot,x,2025/09/18,14:00:00,hi\r\n", 5, "User or Account"),
        (preamble + "User,x,2025/09/18,14:00:00\r\n", 5, "expected 5 fields, found 4"),
        (preamble + "User,x,2025/09/18,14:00:00,a,b\r\n", 5, "expected 5 fields, found 6"),
        (preamble + "User,x,2025/02/30,14:00:00,hi\r\n", 5, "date and time"),
        (preamble + "User,x,2025/09/18,25:00:00,hi\r\n", 5, "date and time"),
        (preamble + "User,x,2025/09/18,14:00:00,ok\r\nUser,x,2025/09/18,14:00:01,\"never closed\r\nUser,y,2025/09/18,14:00:02,z\r\n", 6,
         "runs on over what looks like the row of line 7"),
        (preamble + "User,x,2025/09/18,14:00:00,ok\r\nUser,x,2025/09/18,14:00:01,\"never closed\r\nand more text\r\n", 6,
         "quoted field is not closed"),
        // A quote left open in the middle swallows rows up to the next quoted field.
        (preamble + "User,A,2025/09/18,14:00:00,\"broken\r\nUser,A,2025/09/18,14:00:01,second\r\nUser,A,2025/09/18,14:00:02,\"line1\r\nline2\"\r\n",
         5, "runs on over what looks like the row of line 6"),
    ])
    func aBadFileIsNamedAtItsLine(_ text: String, _ line: Int, _ words: String) throws {
        let error = try #require(failure(text))
        #expect(error.file == "bad.csv" && error.line == line && error.problem.contains(words), "\(error)")
        #expect(error.description.hasPrefix("bad.csv:\(line): "))
    }

    @Test func blankLinesAfterTheLastRowAreFine() throws {
        let (_, rows) = try read(Self.preamble + "User,x,2025/09/18,14:00:00,\"a, b\"\r\n\r\n\r\n")
        #expect(rows.map(\.content) == ["a, b"])
    }

    @Test func aShiftJISFileIsNamedAsNotUTF8() throws {
        let path = dir.file("sjis-head.csv")
        _ = FileManager.default.createFile(atPath: path, contents: Data([0x83, 0x41, 0x83, 0x4A, 0x83, 0x45, 0x83, 0x93, 0x83, 0x67, 0x96, 0xBC, 0x2C, 0x78, 0x0D, 0x0A]))
        #expect(throws: ChatBackupError(file: "sjis-head.csv", line: 1, problem: "the file is not UTF-8")) {
            _ = try ChatBackupReader(path: path, name: "sjis-head.csv")
        }
    }

    @Test func anErrorNeverQuotesTheMessage() throws {
        let secret = "電話番号は090-1234-5678"
        let error = try #require(failure(Self.preamble + "User,x,2025/09/18,14:00:00,\(secret),extra\r\n"))
        #expect(!error.description.contains("090"), "\(error)")
    }

    @Test func bytesThatAreNotUTF8AreRefused() throws {
        let path = dir.file("sjis.csv")
        var bytes = Data(Self.preamble.utf8)
        bytes.append(contentsOf: Array("User,x,2025/09/18,14:00:00,".utf8) + [0x82, 0xA0, 0x0D, 0x0A])  // あ in Shift_JIS
        _ = FileManager.default.createFile(atPath: path, contents: bytes)
        let reader = try ChatBackupReader(path: path, name: "sjis.csv")
        #expect(throws: ChatBackupError(file: "sjis.csv", line: 5, problem: "the file is not UTF-8")) { while try reader.next() != nil {} }
    }

    @Test func aMissingFileIsNamed() {
        #expect(throws: ChatBackupError(file: "nope.csv", line: 0, problem: "cannot be opened")) {
            _ = try ChatBackupReader(path: dir.file("nope.csv"), name: "nope.csv")
        }
    }

    @Test func theFileNameGivesTheDatesAndTheChatsName() {
        let name = BackupFileName("20250912_20250918_山田_太郎.csv")
        #expect(name == BackupFileName("20250912_20250918_山田_太郎.CSV"))
        #expect(name?.from == "20250912" && name?.to == "20250918" && name?.displayName == "山田_太郎")
        for bad in ["20250918_20250912_x.csv", "2025091_20250918_x.csv", "20250912_20250918_.csv", "20250912_20250918_x.txt", "x.csv"] {
            #expect(BackupFileName(bad) == nil, "\(bad)")
        }
    }

    @Test func wallClockTimesConvertAtAFixedOffset() {
        #expect(Instant.local(year: 2024, month: 2, day: 29, hour: 0, minute: 0, second: 0, offsetSeconds: 0)
                == Instant(rfc3339: "2024-02-29T00:00:00Z"))
        #expect(Instant.local(year: 2025, month: 2, day: 29, hour: 0, minute: 0, second: 0, offsetSeconds: 0) == nil)
        #expect(Instant.local(year: 1969, month: 12, day: 31, hour: 23, minute: 59, second: 59, offsetSeconds: 0)?.milliseconds == -1_000)
        #expect(Instant.local(year: 2025, month: 9, day: 18, hour: 14, minute: 24, second: 55, offsetSeconds: 32_400)
                == Instant(rfc3339: "2025-09-18T14:24:55+09:00"))
    }
}
