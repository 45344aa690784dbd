import ChatBackup
import Foundation
@testable import LINESimulator
import TalkVaultDomain
import Testing
import TestSupport
import ZIPFoundation

/// The zip's entries by name, extracted with ZIPFoundation (the importer's reader is not this).
func unzip(_ path: String) throws -> [(name: String, bytes: Data)] {
    let archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
    return try archive.map { entry in
        var bytes = Data()
        _ = try archive.extract(entry) { bytes.append($0) }
        return (entry.path, bytes)
    }
}

/// The simulator writes the OA Manager's backup of its own traffic, in LINE's layout, and knows
/// every row: `ChatBackup` reads back exactly what it wrote.
@Suite struct SimulatedBackupTests {
    let end = Instant(rfc3339: "2026-11-22T12:00:00+09:00")!

    @Test func aZipOfOneCSVPerUserChatReadsBackRowForRow() throws {
        let config = SimulatorConfig(seed: 5)
        let plan = TrafficGenerator.plan(TrafficConfig(seed: 5, messages: 200, end: end, unsendRate: 0.1), simulator: config)
        let files = SimulatedBackup.files(of: plan, seed: 5, accountName: "テスト店, 本店", downloadedAt: end)
        let userChats = Set(plan.messages.filter { $0.chatType == .user }.map(\.chatId))
        #expect(!files.isEmpty && Set(files.map(\.chatId)).isSubset(of: userChats))
        let rows = files.flatMap(\.rows)
        #expect(rows.contains { $0.sender == "Account" && $0.senderName == SimulatedBackup.autoReplyName })
        #expect(rows.contains { $0.sender == "Account" && $0.senderName != SimulatedBackup.autoReplyName })
        #expect(rows.contains { $0.content == "送信が取り消されたメッセージです" })
        #expect(rows.contains { $0.content.contains("\r\n") })

        let dir = TempDir()
        let zipPath = dir.file("backup.zip")
        try SimulatedBackup.writeZip(files, to: zipPath)
        let entries = try unzip(zipPath)
        #expect(entries.map(\.name) == files.map(\.name))
        for (entry, file) in zip(entries, files) {
            let csv = dir.file("entry.csv")
            _ = FileManager.default.createFile(atPath: csv, contents: entry.bytes)
            let name = try #require(BackupFileName(file.name))
            #expect(file.name.hasSuffix("_\(name.displayName).csv") && file.rows.allSatisfy { $0.sender == "Account" || $0.senderName == name.displayName })
            let reader = try ChatBackupReader(path: csv, name: file.name)
            #expect(reader.preamble.accountName == "テスト店, 本店" && reader.preamble.utcOffsetSeconds == 32_400 && reader.preamble.downloadedAt == end)
            var read: [SimulatedBackup.Row] = []
            while let row = try reader.next() {
                read.append(SimulatedBackup.Row(line: row.line, sender: row.sender.rawValue, senderName: row.senderName, sentAt: row.sentAt.milliseconds,
                                                content: row.content, messageId: nil))
            }
            #expect(read == file.rows.map { var row = $0; row.messageId = nil; return row }, "\(file.name)")
        }
    }

    /// Display names repeat (a few hundred of them): the files of two chats still differ by name.
    @Test func twoChatsOfOneNameGetTwoFiles() {
        let plan = TrafficGenerator.plan(TrafficConfig(seed: 8, messages: 900, end: end, period: .hours(1), users: 300, groups: 0, rooms: 0),
                                         simulator: SimulatorConfig(seed: 8))
        let names = SimulatedBackup.files(of: plan, seed: 8, accountName: "店", downloadedAt: end).map(\.name)
        #expect(Set(names).count == names.count)
        #expect(names.contains { $0.hasSuffix(" (2).csv") }, "with 300 users some names repeat")
    }

    @Test func theSameSeedWritesTheSameBytes() {
        let config = SimulatorConfig(seed: 6)
        let plan = TrafficGenerator.plan(TrafficConfig(seed: 6, messages: 60, end: end), simulator: config)
        let a = SimulatedBackup.files(of: plan, seed: 6, accountName: "店", downloadedAt: end)
        let b = SimulatedBackup.files(of: plan, seed: 6, accountName: "店", downloadedAt: end)
        #expect(a.map(\.bytes) == b.map(\.bytes) && a.map(\.name) == b.map(\.name))
    }
}

extension ChannelCommandTests {
    /// `send --backup` writes the backup of the very traffic it sent, and its truth row by row.
    @Test(.enabled(if: binary != nil, "line-simulator is not built"))
    func sendWritesTheOAManagersBackupOfItsTraffic() async throws {
        let dir = TempDir()
        let (process, url) = try Self.serve(["--seed", "7", "--transcode-seconds", "0"], stderr: dir.file("serve.err"))
        defer { if process.isRunning { process.terminate(); process.waitUntilExit() } }
        let recorder = SignatureRecorder()
        let (target, receiver) = try await startRecorder(recorder)
        let sent = try #require(try await runAwaiting(Self.binary!, ["send", "--target", target, "--simulator", url, "--messages", "60", "--seed", "5",
                                                       "--period", "2d", "--end", "2026-11-22T12:00:00+09:00", "--ground-truth", dir.file("truth.jsonl"),
                                                       "--backup", dir.file("backup.zip"), "--backup-truth", dir.file("rows.jsonl")],
                                                 deadlineSeconds: 300))
        #expect(sent.status == 0, "\(sent.stderr)")
        await receiver.stop()
        let rows = try Self.lines(dir.file("rows.jsonl"))
        let names = try unzip(dir.file("backup.zip")).map(\.name)
        #expect(!rows.isEmpty && Set(rows.compactMap { $0["file"] as? String }) == Set(names) && Set(names).count == names.count)
        // Every user row shows a message that was sent, in its second.
        let messages = Dictionary(uniqueKeysWithValues: try Self.lines(dir.file("truth.jsonl")).map { ($0["id"] as! String, $0["timestamp"] as! Int) })
        for row in rows where row["sender"] as? String == "User" {
            let sentAt = try #require(messages[row["message_id"] as? String ?? ""])
            #expect(row["sent_at"] as? Int == sentAt / 1000 * 1000)
        }
        #expect(rows.contains { $0["sender"] as? String == "Account" })
        #expect(try run(Self.binary!, ["send", "--target", target, "--simulator", url, "--backup-truth", "x"]).status == 64)
    }
}
