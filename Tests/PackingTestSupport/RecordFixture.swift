import Archive
import Crypto
import DurableFile
import Foundation
import JSON
@testable import Ledger
import LedgerTestSupport
import LINE
@testable import Packing
import SQLiteDB
import Store
import TalkVaultDomain
import Testing
import TestSupport

/// A segment in record version 1 (docs/archive-record.md), packed by the code before the record
/// had a type of its own and kept in `Tests/Fixtures/record-v1`: segments already on operators'
/// disks must keep reading, verifying and reindexing.
public enum RecordFixture {
    public static let dir = "\(Fixtures.packageRoot)/Tests/Fixtures/record-v1"
    public static let archiveDir = dir + "/archive"
    public static let segment = "2026/11/22/talkvault-2026-11-22-0001.tar.gz"
    /// The rows the segment was packed from, one `table<TAB>canonical JSON` line each.
    public static let rowsFile = dir + "/rows.txt"
    public static let packedAt = Instant(milliseconds: LedgerHarness.now.milliseconds + 3_600_000)
    public static let fileBytes = Array("%PDF-1.4\n見積書 fixture\n%%EOF\n".utf8)
    public static let messageIds = ["edit-first", "file-pdf", "image-lost", "text-edited", "text-read", "text-unsent"]

    /// The store the fixture was packed from: a 1:1 text read by staff, a group text and its
    /// edit, an edit whose original never came, a text the user unsent, an image lost to its
    /// deadline, and a small downloaded file.
    public static func store() throws -> PackHarness {
        let h = try PackHarness()
        let t0: Int64 = 1_790_000_000_000
        let group = Webhook.source(user: "Uyamada", group: "Cfixture")
        try h.base.capture(Webhook.body([
            Webhook.text("text-read", "予約できますか?", eventId: "01FIXTURE000000000000000001", at: t0, source: Webhook.source(user: "Uyamada")),
            Webhook.text("text-edited", "明日 10 時で", eventId: "01FIXTURE000000000000000002", at: t0 + 1_000, source: group),
            Webhook.text("text-unsent", "間違えました", eventId: "01FIXTURE000000000000000003", at: t0 + 2_000, source: Webhook.source(user: "Usato")),
            Webhook.media("image-lost", type: "image", eventId: "01FIXTURE000000000000000004", at: t0 + 3_000),
            Webhook.media("file-pdf", type: "file", eventId: "01FIXTURE000000000000000005", at: t0 + 4_000,
                          extra: ["fileName": "見積書.pdf", "fileSize": fileBytes.count]),
        ]))
        try h.base.capture(Webhook.body([
            Webhook.edit("text-edited", "明日 11 時で", eventId: "01FIXTURE000000000000000006", at: t0 + 60_000, source: group),
            Webhook.edit("edit-first", "原文の届かない編集", eventId: "01FIXTURE000000000000000007", at: t0 + 61_000, source: group),
            Webhook.unsend("text-unsent", eventId: "01FIXTURE000000000000000008", at: t0 + 62_000, source: Webhook.source(user: "Usato")),
        ]))
        _ = try h.ledger.readState.markRead(ids: ["text-read"], by: "sato", at: Instant(milliseconds: LedgerHarness.now.milliseconds + 1_000))
        try h.ledger.contentQueue.markLost(id: "image-lost", reason: .expired, at: LedgerHarness.now, detail: "404 from the content API after the deadline")
        let file = h.base.dir.file("staging/file-pdf")
        try Durable.makeDirectories(h.base.dir.file("staging"))
        _ = FileManager.default.createFile(atPath: file, contents: Data(fileBytes))
        try h.ledger.contentQueue.recordDownload(id: "file-pdf", stagedFile: "staging/file-pdf", size: Int64(fileBytes.count),
                                    sha256: SHA256.hash(data: fileBytes).map { String(format: "%02x", $0) }.joined(),
                                    contentType: "application/pdf", at: LedgerHarness.now)
        return h
    }

    /// The rows a record holds or a manifest indexes, as `table<TAB>canonical JSON` lines: the
    /// messages, the events and edits they carry, the archive index. (Ledger-only columns, and
    /// rows no record carries, such as the unsend event, are left out.)
    public static func rows(of ledger: Ledger) throws -> [String] {
        let queries: [(String, String, Set<String>)] = [
            ("messages", "SELECT * FROM messages ORDER BY id", ["event_seq", "staged_file"]),
            ("raw_events", """
                SELECT * FROM raw_events WHERE seq IN (SELECT event_seq FROM messages UNION SELECT event_seq FROM message_edits)
                ORDER BY event_id
                """, ["seq"]),
            ("message_edits", "SELECT * FROM message_edits ORDER BY message_id, edited_at_ms", ["event_seq"]),
            ("archived_items", "SELECT * FROM archived_items ORDER BY message_id, part", []),
            ("segments", "SELECT * FROM segments ORDER BY seq", ["indexed_at_ms"]),
        ]
        var lines: [String] = []
        for (table, sql, skipped) in queries {
            for row in try ledger.rows(sql) {
                var members: [String: JSONValue] = [:]
                for (name, value) in row where !skipped.contains(name) {
                    switch value {
                    case .null: members[name] = .null
                    case .integer(let v): members[name] = .int(v)
                    case .real(let v): members[name] = .double(v)
                    case .text(let v): members[name] = .string(v)
                    case .blob(let v): members[name] = .string(Data(v).base64EncodedString())
                    }
                }
                lines.append(table + "\t" + JSONValue.object(members).canonicalJSON())
            }
        }
        return lines
    }

    public static func committedRows() throws -> [String] {
        try String(contentsOfFile: rowsFile, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    /// Each record line of a segment, as stored.
    public static func records(archiveDir: String, segment: String) throws -> [[UInt8]] {
        var records: [[UInt8]] = []
        try SegmentReader.records(try SegmentReader.manifest(segment: segment, archiveDir: archiveDir), archiveDir: archiveDir) { _, bytes in
            records.append(bytes)
        }
        return records
    }
}
