import ChatBackup
import CSVText
import Foundation
import JSON
import TalkVaultDomain
import ZIPFoundation

/// The Official Account Manager's chat backup of generated traffic, in LINE's layout (see
/// PRODUCT.md): one CSV per 1:1 chat, with the users' messages as the backup shows them (a
/// placeholder for an image, video, sticker or an unsent message) and the account's replies,
/// which no webhook carries: the auto-reply and staff. Each file's rows are also given as
/// data, so a test knows the truth.
public enum SimulatedBackup {
    /// One chat's file.
    public struct File: Sendable {
        /// `YYYYMMDD_YYYYMMDD_<display name>.csv`.
        public var name: String
        public var chatId: String
        public var bytes: Data
        public var rows: [Row]
    }

    /// One row, as written.
    public struct Row: Sendable, Codable, Equatable {
        /// The line the row starts on.
        public var line: Int
        /// `User` or `Account`.
        public var sender: String
        public var senderName: String
        /// To the second.
        public var sentAt: Int64
        /// The body, as a reader gives it back (`_x000D_` as a carriage return).
        public var content: String
        /// The captured message it shows; nil for the account's rows.
        public var messageId: String?

        enum CodingKeys: String, CodingKey {
            case line, sender, senderName = "sender_name", sentAt = "sent_at", content, messageId = "message_id"
        }
    }

    public static let autoReplyName = "応答メッセージ"
    static let staff = ["佐藤", "鈴木（店長）"]
    static let autoReply = "メッセージありがとうございます。\n担当より順次ご返信いたします。"
    static let replies = ["承知しました。", "ご予約ありがとうございます。当日お待ちしております。", "確認いたします、少々お待ちください。",
                          "=1+1 はい、大丈夫です", "恐れ入りますが、\"お名前\"をお知らせください。", "一行目_x000D_\n二行目"]

    /// The backup of `plan`'s 1:1 chats with the account named `accountName`. Audio, files,
    /// locations and kinds LINE has no placeholder for here are left out. `replyRate` is the
    /// share of user messages the account answers.
    public static func files(of plan: TrafficPlan, seed: UInt64, accountName: String, offsetSeconds: Int64 = 32_400,
                             downloadedAt: Instant, replyRate: Double = 0.6) -> [File] {
        var files = chatFiles(of: plan, seed: seed, accountName: accountName, offsetSeconds: offsetSeconds,
                              downloadedAt: downloadedAt, replyRate: replyRate)
        // Two chats can share a display name and dates; a zip holds one entry per name. What
        // LINE does then is not known here: the simulator numbers the later ones, " (2)"…
        var seen: [String: Int] = [:]
        for index in files.indices {
            let count = seen[files[index].name, default: 0] + 1
            seen[files[index].name] = count
            if count > 1 { files[index].name = String(files[index].name.dropLast(4)) + " (\(count)).csv" }
        }
        return files
    }

    static func chatFiles(of plan: TrafficPlan, seed: UInt64, accountName: String, offsetSeconds: Int64,
                          downloadedAt: Instant, replyRate: Double) -> [File] {
        var texts: [String: String] = [:]
        for delivery in plan.deliveries {
            for event in delivery.events where event["type"]?.stringValue == "message" {
                if let message = event["message"], let id = message["id"]?.stringValue, let text = message["text"]?.stringValue { texts[id] = text }
            }
        }
        let chats = Dictionary(grouping: plan.messages.filter { $0.chatType == .user }, by: \.chatId)
        return chats.keys.sorted().compactMap { chatId in
            var rows: [(at: Int64, sender: String, name: String, content: String, id: String?)] = []
            let name = Profiles.displayName(for: chatId, seed: seed)
            for message in chats[chatId]!.sorted(by: { ($0.timestamp, $0.id) < ($1.timestamp, $1.id) }) {
                let at = message.timestamp / 1000 * 1000
                let content: String?
                if message.unsentAt != nil {
                    content = BackupPlaceholder.unsent.text
                } else if message.kind == .text {
                    content = texts[message.id]
                } else {
                    content = BackupPlaceholder.allCases.first { $0.kind == message.kind }?.text
                }
                guard let content else { continue }
                rows.append((at, "User", name, content, message.id))
                var rng = SeededGenerator(seed: seed, "backup-reply", message.id)
                if rng.chance(replyRate) {
                    let later = at + Int64(1 + rng.next() % 300) * 1000
                    if rng.chance(0.3) {
                        rows.append((later, "Account", autoReplyName, autoReply, nil))
                    } else {
                        rows.append((later, "Account", staff[Int(rng.next() % UInt64(staff.count))],
                                     replies[Int(rng.next() % UInt64(replies.count))], nil))
                    }
                }
            }
            guard !rows.isEmpty else { return nil }
            let ordered = rows.enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map(\.element)
            var text = "\u{FEFF}" + csv.line(["アカウント名", accountName]) + csv.line(["タイムゾーン", "'" + offset(offsetSeconds)])
                + csv.line(["ダウンロード日時", stamp(downloadedAt.milliseconds, offsetSeconds, seconds: false)]) + csv.line(ChatBackupReader.header)
            var line = 5
            var written: [Row] = []
            for row in ordered {
                let local = stamp(row.at, offsetSeconds, seconds: true).split(separator: " ")
                let record = csv.line([row.sender, row.name, String(local[0]), String(local[1]), row.content])
                written.append(Row(line: line, sender: row.sender, senderName: row.name, sentAt: row.at,
                                   content: row.content.replacingOccurrences(of: "_x000D_", with: "\r"), messageId: row.id))
                line += 1 + row.content.filter { $0 == "\n" || $0 == "\r\n" }.count
                text += record
            }
            let first = day(ordered.first!.at, offsetSeconds), last = day(ordered.last!.at, offsetSeconds)
            return File(name: "\(first)_\(last)_\(name).csv", chatId: chatId, bytes: Data(text.utf8), rows: written)
        }
    }

    /// The files in one zip, as the OA Manager gives them, deflated.
    public static func writeZip(_ files: [File], to path: String) throws {
        try? FileManager.default.removeItem(atPath: path)
        let archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .create)
        for file in files {
            try archive.addEntry(with: file.name, type: .file, uncompressedSize: Int64(file.bytes.count), compressionMethod: .deflate,
                                 provider: { position, size in file.bytes.subdata(in: Int(position)..<Int(position) + size) })
        }
    }

    /// Every row of `files` as a JSON line, with its file's name.
    public static func writeTruth(_ files: [File], to path: String) throws {
        struct Line: Encodable {
            var file: String
            var row: Row
            func encode(to encoder: any Encoder) throws {
                try row.encode(to: encoder)
                var container = encoder.container(keyedBy: Key.self)
                try container.encode(file, forKey: .file)
            }
            enum Key: String, CodingKey { case file }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var out = Data()
        for file in files {
            for row in file.rows { out += try encoder.encode(Line(file: file.name, row: row)) + Data("\n".utf8) }
        }
        try out.write(to: URL(fileURLWithPath: path))
    }

    /// RFC 4180 as LINE writes it: quoted when needed, and no spreadsheet guards of TalkVault's.
    static let csv = CSVFormat(guardFormulas: false, longNumbersAsText: false)

    static func offset(_ seconds: Int64) -> String {
        let minutes = abs(seconds) / 60
        return (seconds < 0 ? "-" : "+") + String(format: "%02d:%02d", minutes / 60, minutes % 60)
    }

    /// `2025/09/18 14:24:55`, or without seconds, at the offset.
    static func stamp(_ milliseconds: Int64, _ offset: Int64, seconds: Bool) -> String {
        let text = Instant(milliseconds: milliseconds + offset * 1000).rfc3339(in: TimeZone(identifier: "UTC")!)
        let date = text.prefix(10).replacingOccurrences(of: "-", with: "/")
        return date + " " + text.dropFirst(11).prefix(seconds ? 8 : 5)
    }

    static func day(_ milliseconds: Int64, _ offset: Int64) -> String {
        stamp(milliseconds, offset, seconds: false).prefix(10).replacingOccurrences(of: "/", with: "")
    }
}
