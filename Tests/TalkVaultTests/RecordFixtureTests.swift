import Archive
import ArchiveRecord
import Crypto
import Foundation
import JSON
@testable import Ledger
@testable import Packing
import SQLiteDB
import TalkVaultDomain
import Testing
import DurableFile

/// A segment in record version 1 (docs/archive-record.md), packed by the code before the record
/// had a type of its own and kept in `Tests/Fixtures/record-v1`: segments already on operators'
/// disks must keep reading, verifying and reindexing.
enum RecordFixture {
    static let dir = "\(Fixtures.packageRoot)/Tests/Fixtures/record-v1"
    static let archiveDir = dir + "/archive"
    static let segment = "2026/11/22/talkvault-2026-11-22-0001.tar.gz"
    /// The rows the segment was packed from, one `table<TAB>canonical JSON` line each.
    static let rowsFile = dir + "/rows.txt"
    static let packedAt = Instant(milliseconds: LedgerHarness.now.milliseconds + 3_600_000)
    static let fileBytes = Array("%PDF-1.4\n見積書 fixture\n%%EOF\n".utf8)
    static let messageIds = ["edit-first", "file-pdf", "image-lost", "text-edited", "text-read", "text-unsent"]

    /// The store the fixture was packed from: a 1:1 text read by staff, a group text and its
    /// edit, an edit whose original never came, a text the user unsent, an image lost to its
    /// deadline, and a small downloaded file.
    static func store() throws -> PackHarness {
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
        _ = try h.ledger.markRead(ids: ["text-read"], by: "sato", at: Instant(milliseconds: LedgerHarness.now.milliseconds + 1_000))
        try h.ledger.markLost(id: "image-lost", reason: .expired, at: LedgerHarness.now, detail: "404 from the content API after the deadline")
        let file = h.base.dir.file("staging/file-pdf")
        try Durable.makeDirectories(h.base.dir.file("staging"))
        _ = FileManager.default.createFile(atPath: file, contents: Data(fileBytes))
        try h.ledger.recordDownload(id: "file-pdf", stagedFile: "staging/file-pdf", size: Int64(fileBytes.count),
                                    sha256: SHA256.hash(data: fileBytes).map { String(format: "%02x", $0) }.joined(),
                                    contentType: "application/pdf", at: LedgerHarness.now)
        return h
    }

    /// The rows a record holds or a manifest indexes, as `table<TAB>canonical JSON` lines: the
    /// messages, the events and edits they carry, the archive index. (Ledger-only columns, and
    /// rows no record carries, such as the unsend event, are left out.)
    static func rows(of ledger: Ledger) throws -> [String] {
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

    static func committedRows() throws -> [String] {
        try String(contentsOfFile: rowsFile, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    /// Each record line of a segment, as stored.
    static func records(archiveDir: String, segment: String) throws -> [[UInt8]] {
        var records: [[UInt8]] = []
        try SegmentReader.records(try SegmentReader.manifest(segment: segment, archiveDir: archiveDir), archiveDir: archiveDir) { _, bytes in
            records.append(bytes)
        }
        return records
    }
}

@Suite struct RecordFixtureTests {
    @Test func theFixtureIsSmallAndWhole() throws {
        let attributes = try FileManager.default.attributesOfItem(atPath: RecordFixture.archiveDir + "/" + RecordFixture.segment)
        #expect((attributes[.size] as? Int ?? 0) < 16 * 1024)
        #expect(SegmentReader.segmentFiles(archiveDir: RecordFixture.archiveDir) == [RecordFixture.segment])
        let report = try Verifier(archiveDir: RecordFixture.archiveDir, ledger: nil, deep: true).run()
        #expect(report.ok, "\(report.problems)")
        #expect(report.recordsChecked == RecordFixture.messageIds.count)
        #expect(report.entriesChecked == 3)   // the file; messages.jsonl in its member, then whole
    }

    @Test func everyRecordOfTheFixtureDecodes() throws {
        let records = try RecordFixture.records(archiveDir: RecordFixture.archiveDir, segment: RecordFixture.segment)
        let ids = try records.map { try RecordCodec.decode($0).message.id }
        #expect(ids.sorted() == RecordFixture.messageIds)
    }

    /// Packing the fixture's store today writes the fixture's records byte for byte: version 1
    /// is written exactly as before.
    @Test func packingTheSameStoreWritesTheSameRecords() throws {
        let h = try RecordFixture.store()
        let report = try h.packer(at: RecordFixture.packedAt).pack()
        #expect(report.segments == [RecordFixture.segment])
        #expect(try RecordFixture.rows(of: h.ledger) == RecordFixture.committedRows(), "the store is the one the fixture was packed from")
        let packed = try RecordFixture.records(archiveDir: h.archiveDir, segment: RecordFixture.segment)
        let kept = try RecordFixture.records(archiveDir: RecordFixture.archiveDir, segment: RecordFixture.segment)
        #expect(packed.count == kept.count)
        for (new, old) in zip(packed, kept) {
            #expect(new == old, "\(String(decoding: new, as: UTF8.self))\n\(String(decoding: old, as: UTF8.self))")
        }
    }

    @Test func reindexRebuildsTheRowsTheFixtureWasPackedFrom() throws {
        let dir = TempDir()
        let ledger = try Ledger.opened(path: dir.file("ledger.sqlite3"), policy: .lineDefaults)
        let report = try Reindexer(archiveDir: RecordFixture.archiveDir).run(into: ledger, now: RecordFixture.packedAt)
        #expect(report.problems.isEmpty)
        #expect(report.segments == 1)
        #expect(report.records == RecordFixture.messageIds.count)
        #expect(report.contentEntries == 1)
        #expect(try RecordFixture.rows(of: ledger) == RecordFixture.committedRows())

        // verify --deep compares every record with the row rebuilt from it.
        let check = try Verifier(archiveDir: RecordFixture.archiveDir, ledger: ledger, deep: true).run()
        #expect(check.ok, "\(check.problems)")
        #expect(check.recordsCompared == RecordFixture.messageIds.count)

        // The file and a text come back from the rebuilt ledger.
        let restorer = Restorer(ledger: ledger, archiveDir: RecordFixture.archiveDir)
        var file: [UInt8] = []
        try restorer.stream(id: "file-pdf") { file += $0 }
        #expect(file == RecordFixture.fileBytes)
        var text: [UInt8] = []
        try restorer.stream(id: "text-edited") { text += $0 }
        #expect(String(decoding: text, as: UTF8.self) == "明日 11 時で\n")
    }

    /// The same from the command line, as an operator with only the archive dir would.
    @Test func theBinaryReindexesAndDeepVerifiesTheFixture() throws {
        let cli = CLITests()
        try FileManager.default.createDirectory(atPath: cli.dir.file("data"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: RecordFixture.archiveDir, toPath: cli.dir.file("data/archive"))
        let config = ["--config", "\(Fixtures.packageRoot)/retention.yaml"]
        let reindex = try cli.talkvault(["reindex", "--data-dir", "data", "--to", "rebuilt"] + config)
        #expect(reindex.status == 0, "\(reindex.stderr)")
        let rebuilt = try Ledger.opened(path: cli.dir.file("rebuilt/ledger.sqlite3"), policy: .lineDefaults, create: false)
        #expect(try RecordFixture.rows(of: rebuilt) == RecordFixture.committedRows())
        let verify = try cli.talkvault(["verify", "--data-dir", "rebuilt", "--deep"] + config)
        #expect(verify.status == 0, "\(verify.stdout)")
        #expect(verify.stdout.contains("(\(RecordFixture.messageIds.count) compared with the ledger)"), "\(verify.stdout)")
    }
}
