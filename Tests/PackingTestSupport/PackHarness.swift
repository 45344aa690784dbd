@testable import Archive
import Crypto
import DurableFile
import Foundation
@testable import Ledger
import LedgerTestSupport
@testable import Packing
import SQLiteDB
import Store
import TalkVaultDomain
import Testing
import TestSupport

/// A ledger with captured messages and staged downloads, and a packer over its archive dir.
public struct PackHarness {
    public let base: LedgerHarness
    public var ledger: Ledger { base.ledger }
    public var archiveDir: String { base.dir.file("archive") }
    /// Message id → the bytes staged as its download.
    public var staged: [String: [UInt8]] = [:]

    public init() throws {
        base = try LedgerHarness()
    }

    public func packer(at instant: Instant = LedgerHarness.now, segmentMaxBytes: UInt64 = 1 << 30) -> Packer {
        Packer(stores: ledger.stores, settings: PackSettings(dataDir: base.dir.path, archiveDir: archiveDir, timeZone: TimeZone(identifier: "Asia/Tokyo")!,
                                                     segment: .init(memberTarget: 32 * 1024, toolVersion: "test"),
                                                     segmentMaxBytes: segmentMaxBytes),
               clock: FixedClock(instant))
    }

    /// Captures `texts` text messages and one message of each content kind, and stages downloads.
    public mutating func fill(texts: Int = 200, prefix: String = "m", at ms: Int64 = 1_790_000_000_000) throws {
        var events: [[String: Any]] = []
        for n in 0..<texts {
            let source = n % 3 == 0 ? Webhook.source(user: "U\(n % 7)", group: "Cgroup") : Webhook.source(user: "U\(n % 7)")
            events.append(Webhook.text("\(prefix)t\(n)", "こんにちは \(n) =SUM(A1) 😀\n改行", eventId: "\(prefix)e\(n)", at: ms + Int64(n), source: source))
        }
        let media: [(String, String, [String: Any], [UInt8], String)] = [
            ("image", "image/jpeg", [:], [0xFF, 0xD8, 0xFF, 0xE0] + Array(repeating: 7, count: 5000), "i"),
            ("video", "video/mp4", [:], Array(repeating: 1, count: 9000), "v"),
            ("audio", "audio/m4a", [:], Array(repeating: 2, count: 3000), "a"),
            ("file", "application/pdf", ["fileName": "../../etc/passwd", "fileSize": 12], Array("%PDF-1.4 hi\n".utf8), "f"),
            ("file", "text/plain", ["fileName": "議事録\u{0}.txt", "fileSize": 4000], Array(String(repeating: "議事録 ", count: 400).utf8), "g"),
        ]
        for (index, item) in media.enumerated() {
            let id = "\(prefix)\(item.4)\(index)"
            events.append(Webhook.media(id, type: item.0, eventId: "\(prefix)me\(index)", at: ms + 5000 + Int64(index), extra: item.2))
        }
        try base.capture(Webhook.body(events))
        for (index, item) in media.enumerated() {
            let id = "\(prefix)\(item.4)\(index)"
            let file = base.dir.file("staged-\(id)")
            _ = FileManager.default.createFile(atPath: file, contents: Data(item.3))
            try ledger.contentQueue.recordDownload(id: id, stagedFile: file, size: Int64(item.3.count),
                                      sha256: SHA256.hash(data: item.3).map { String(format: "%02x", $0) }.joined(),
                                      contentType: item.1, at: LedgerHarness.now)
            staged[id] = item.3
        }
    }

    public func count(_ sql: String) throws -> Int64 { try ledger.db.scalar(sql) }

    public func verify(deep: Bool = false, withLedger: Bool = true) throws -> VerifyReport {
        try Verifier(archiveDir: archiveDir, index: withLedger ? ledger.archiveIndex : nil, deep: deep).run()
    }

    public func segmentPaths() -> [String] { SegmentReader.segmentFiles(archiveDir: archiveDir) }
}

extension PackHarness {
    /// A packed store, as `talkvault verify --data-dir` sees it.
    public static func packed() throws -> PackHarness {
        var h = try PackHarness()
        try h.fill(texts: 20)
        _ = try h.packer().pack()
        return h
    }
}
