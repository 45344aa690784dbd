import Archive
import ArgumentParser
import Intake
import Crypto
import Foundation
import LINESimulator
import Ledger
import Store
import Packing
import TalkVaultDomain

/// Builds a whole data dir for the lookup benchmark through the product's own paths: webhook
/// bodies through `Capturer` (as `ingest` and `serve` store them), content streamed to staging
/// and recorded as a sweep records it, display names as the profile fetcher records them, then
/// `Packer`. Deterministic for a seed. Prints the ids the benchmark samples to DIR/samples.tsv.
struct Store: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Build a data dir of N messages and about B bytes of archived content.")
    @Option(help: "Messages.") var messages = 1_000_000
    @Option(help: "Content bytes, about (media and files of 256 KiB to 1.75 MiB).") var contentBytes: Int64 = 2 << 30
    @Option(help: "Seed.") var seed: UInt64 = 7
    @Argument var dir: String

    static let words = ["予約", "確認", "ありがとうございます", "明日", "営業時間", "返品", "よろしくお願いします", "在庫", "配送", "キャンセル",
                        "領収書", "写真を送ります", "了解しました", "料金", "駐車場", "the order", "shipping", "invoice", "😊", "🙏"]
    static let start = Instant(rfc3339: "2026-01-01T00:00:00+09:00")!, end = Instant(rfc3339: "2026-11-01T00:00:00+09:00")!
    static let now = Instant(rfc3339: "2026-11-02T09:00:00+09:00")!

    func run() throws {
        let started = Date()
        try FileManager.default.createDirectory(atPath: dir + "/staging", withIntermediateDirectories: true)
        let ledger = try Ledger(path: dir + "/ledger.sqlite3", policy: .lineDefaults, access: .readWrite(create: true), synchronous: .normal)
        try ledger.migrate()
        let capturer = Capturer(ledger: ledger, clock: FixedClock(Self.now))
        var rng = SplitMix(seed: seed)
        let mediaEvery = max(1, messages / max(1, Int(contentBytes / (1 << 20))))
        var batch: [Data] = [], media: [SimulatedMessage] = []
        let span = Self.end.milliseconds - Self.start.milliseconds
        for i in 0..<messages {
            let ms = Self.start.milliseconds + Int64(i) * span / Int64(messages)
            let user = "U" + String(format: "%032x", rng.next() % 5_000)
            let group = rng.next() % 5 == 0 ? "C" + String(format: "%032x", rng.next() % 200) : nil
            let id = String(600_000_000_000_000_000 + i)
            var message: [String: Any]
            if i % mediaEvery == mediaEvery / 2 {
                let kind = [MessageKind.image, .image, .video, .audio, .file][Int(rng.next() % 5)]
                let size = Int64(256 << 10) + Int64(rng.next() % UInt64(3 << 19))
                let name = kind == .file ? "請求書_\(i).pdf" : nil
                media.append(SimulatedMessage(id: id, kind: kind, chatType: group == nil ? .user : .group, chatId: group ?? user, userId: user,
                                              timestamp: ms, size: size, fileName: name))
                message = ["id": id, "type": kind.rawValue, "contentProvider": ["type": "line"]]
                if let name { message["fileName"] = name; message["fileSize"] = size }
            } else {
                var text = (0..<(3 + Int(rng.next() % 6))).map { _ in Self.words[Int(rng.next() % UInt64(Self.words.count))] }.joined(separator: " ")
                if rng.next() % 100 == 0 { text += " 品番A-\(rng.next() % 10_000)" }     // selective searches
                message = ["id": id, "type": "text", "text": text, "markAsReadToken": "t\(i)"]
            }
            let source: [String: Any] = group.map { ["type": "group", "groupId": $0, "userId": user] } ?? ["type": "user", "userId": user]
            let event: [String: Any] = ["type": "message", "mode": "active", "timestamp": ms, "webhookEventId": "01BENCH\(i)",
                                        "deliveryContext": ["isRedelivery": false], "source": source, "message": message]
            batch.append(try JSONSerialization.data(withJSONObject: ["destination": "Ubench", "events": [event]]))
            if batch.count == 5_000 || i == messages - 1 {
                _ = try capturer.capture(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        print(String(format: "captured %d messages in %.1f s", messages, Date().timeIntervalSince(started)))

        // Display names: "利用者 N" for user N, so a search by name has something to find.
        while true {
            let due = try ledger.profileStore.profilesDue(now: Self.now, refresh: RetentionDuration(seconds: 30 * 86_400), limit: 5_000)
            if due.isEmpty { break }
            try ledger.transaction {
                for ref in due { try ledger.profileStore.recordProfile(ref, displayName: "利用者 \(UInt64(ref.userId.dropFirst(), radix: 16) ?? 0)", now: Self.now) }
            }
        }

        var contentTotal: Int64 = 0
        for message in media {
            var stream = ContentGenerator.stream(for: message, seed: seed)
            let path = "\(dir)/staging/\(message.id).part"
            _ = FileManager.default.createFile(atPath: path, contents: nil)
            let handle = FileHandle(forWritingAtPath: path)!
            var hasher = SHA256()
            while let chunk = stream.next() {
                hasher.update(data: chunk)
                handle.write(Data(chunk))
            }
            try handle.close()
            try ledger.contentQueue.recordDownload(id: message.id, stagedFile: "staging/\(message.id).part", size: stream.size,
                                      sha256: hasher.finalize().map { String(format: "%02x", $0) }.joined(),
                                      contentType: stream.contentType, at: Self.now)
            contentTotal += stream.size
        }
        print(String(format: "downloaded %d items, %lld bytes, at %.1f s", media.count, contentTotal, Date().timeIntervalSince(started)))

        let packer = Packer(stores: ledger.stores, settings: PackSettings(
            dataDir: dir, archiveDir: dir + "/archive", timeZone: TimeZone(identifier: "Asia/Tokyo")!,
            segment: SegmentWriter.Settings(compression: CompressionPolicy(level: 6), toolVersion: "archive-bench store")), clock: FixedClock(Self.now))
        let report = try packer.pack()
        print(String(format: "packed %d records and %d files into %d segments, %llu bytes, at %.1f s",
                     report.records, report.contentEntries, report.segments.count, report.segmentBytes, Date().timeIntervalSince(started)))

        // Samples for the benchmark: archived content ids, users, and months.
        var samples = ""
        for message in media.prefix(200) { samples += "content\t\(message.id)\n" }
        for _ in 0..<50 { samples += "user\tU" + String(format: "%032x", rng.next() % 5_000) + "\t2026-\(String(format: "%02d", 1 + rng.next() % 10))\n" }
        for _ in 0..<200 { samples += "id\t\(600_000_000_000_000_000 + Int(rng.next() % UInt64(messages)))\n" }
        try samples.write(toFile: dir + "/samples.tsv", atomically: true, encoding: .utf8)
    }
}
