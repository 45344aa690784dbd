@testable import Archive
import ArchiveRecord
import Crypto
import Foundation
@testable import Ledger
@testable import Packing
import SQLiteDB
import Store
import TalkVaultDomain
import Testing
import DurableFile
import LedgerTestSupport
import PackingTestSupport
import TestSupport

@Suite struct PackingTests {
    @Test func packArchivesEverythingReadyAndVerifyPasses() throws {
        var h = try PackHarness()
        try h.fill()
        let report = try h.packer().pack()
        #expect(report.segments.count == 1)
        #expect(report.records == 205)
        #expect(report.contentEntries == 5)
        #expect(try h.count("SELECT count(*) FROM messages WHERE state != 'archived'") == 0)
        #expect(try h.count("SELECT count(*) FROM archived_items WHERE part = 'record'") == 205)
        #expect(try h.count("SELECT count(*) FROM messages WHERE staged_file IS NOT NULL") == 0)
        for (id, _) in h.staged { #expect(!FileManager.default.fileExists(atPath: h.base.dir.file("staged-\(id)"))) }
        // Content reads back from its indexed location, byte for byte.
        for (id, bytes) in h.staged {
            let row = try h.ledger.rows("SELECT s.path, a.member_offset, a.member_length, a.offset_in_member, a.length, a.sha256, a.entry_name FROM archived_items a JOIN segments s ON s.seq = a.segment_seq WHERE a.message_id = '\(id)' AND a.part = 'content'").first!
            func int(_ i: Int) -> UInt64 { if case .integer(let v) = row[i].value { return UInt64(v) }; return 0 }
            func text(_ i: Int) -> String { if case .text(let v) = row[i].value { return v }; return "" }
            let location = ItemLocation(segment: text(0), memberOffset: int(1), memberLength: int(2), offsetInMember: int(3), length: int(4), sha256: text(5))
            #expect(try SegmentReader.bytes(location, archiveDir: h.archiveDir) == bytes)
            #expect(SafeName.isSafeRelativePath(text(6)))
        }
        let names = try h.ledger.rows("SELECT entry_name FROM archived_items WHERE part = 'content' ORDER BY entry_name").map { "\($0[0].value)" }
        #expect(names.contains { $0.contains("content/mf3/passwd") })
        #expect(names.contains { $0.contains("content/mg4/議事録_.txt") })
        #expect(names.contains { $0.contains("content/mi0/image.jpg") })
        let verify = try h.verify(deep: true)
        #expect(verify.ok, "\(verify.problems)")
        #expect(verify.recordsChecked == 205)
        #expect(verify.entriesChecked == 6)   // five content files and messages.jsonl
        // Nothing is left to pack.
        #expect(try h.packer().pack().segments.isEmpty)
    }

    @Test func reindexRebuildsEveryRecordAndLocation() throws {
        var h = try PackHarness()
        try h.fill()
        _ = try h.packer().pack()
        // An edit after archiving: the record is packed again, in a second segment.
        try h.base.capture(Webhook.body([Webhook.edit("mt0", "編集後", eventId: "edit-1", at: 1_790_000_100_000)]))
        let later = Instant(milliseconds: LedgerHarness.now.milliseconds + 60_000)
        let second = try h.packer(at: later).pack()
        #expect(second.records == 1)
        #expect(try h.ledger.searchStore.message(id: "mt0")?.text == "編集後")

        let fresh = try Ledger.opened(path: h.base.dir.file("rebuilt/ledger.sqlite3"), policy: .lineDefaults)
        let report = try Reindexer(archiveDir: h.archiveDir).run(into: fresh.archiveIndex, now: later)
        #expect(report.problems.isEmpty)
        #expect(report.segments == 2)
        let messages = "SELECT * FROM messages ORDER BY id"
        let strip = { (rows: [Columns]) in rows.map { $0.filter { $0.name != "event_seq" && $0.name != "staged_file" }.map { "\($0.name)=\($0.value)" } } }
        #expect(strip(try fresh.rows(messages)) == strip(try h.ledger.rows(messages)))
        let items = "SELECT * FROM archived_items ORDER BY message_id, part"
        #expect(strip(try fresh.rows(items)) == strip(try h.ledger.rows(items)))
        #expect(strip(try fresh.rows("SELECT * FROM segments ORDER BY seq").map { $0.filter { $0.name != "indexed_at_ms" } })
                == strip(try h.ledger.rows("SELECT * FROM segments ORDER BY seq").map { $0.filter { $0.name != "indexed_at_ms" } }))
        #expect(try fresh.searchStore.message(id: "mt0")?.text == "編集後")
        #expect(try fresh.searchStore.message(id: "mt0")?.eventJSON == h.ledger.searchStore.message(id: "mt0")?.eventJSON)
        let check = try Verifier(archiveDir: h.archiveDir, index: fresh.archiveIndex, deep: true).run()
        #expect(check.ok, "\(check.problems)")
    }

    @Test(arguments: PackStep.allCases)
    func aCrashBetweenAnyTwoStepsRecoversWithNothingLostOrDuplicated(_ step: PackStep) throws {
        var h = try PackHarness()
        try h.fill(texts: 50)
        struct Crash: Error {}
        let crashing = h.packer()
        crashing.afterStep = { if $0 == step { throw Crash() } }
        #expect(throws: Crash.self) { _ = try crashing.pack() }
        // A writer that died mid-write leaves its temporary file behind too.
        try Durable.makeDirectories(h.archiveDir + "/2026/11/22")
        _ = FileManager.default.createFile(atPath: h.archiveDir + "/2026/11/22/.talkvault-2026-11-22-0009.tar.gz.tmp-4242", contents: Data([1, 2, 3]))

        let report = try h.packer().pack()
        #expect(report.recovery.removedTemporary.count == (step == .written ? 2 : 1))
        #expect(report.recovery.indexed.count == (step == .published ? 1 : 0))
        #expect(SegmentReader.temporaryFiles(archiveDir: h.archiveDir).isEmpty)
        #expect(try h.count("SELECT count(*) FROM messages WHERE state != 'archived'") == 0)
        #expect(try h.count("SELECT count(*) FROM archived_items WHERE part = 'record'") == 55)
        #expect(try h.count("SELECT count(*) FROM segments") == Int64(h.segmentPaths().count))
        // Exactly one archived copy of every message across all segments.
        var copies: [String: Int] = [:]
        for path in h.segmentPaths() {
            try SegmentReader.records(try SegmentReader.manifest(segment: path, archiveDir: h.archiveDir), archiveDir: h.archiveDir) { _, bytes in
                copies[try RecordCodec.decode(bytes).message.id, default: 0] += 1
            }
        }
        #expect(copies.count == 55 && copies.values.allSatisfy { $0 == 1 })
        for (id, _) in h.staged { #expect(!FileManager.default.fileExists(atPath: h.base.dir.file("staged-\(id)"))) }
        let verify = try h.verify(deep: true)
        #expect(verify.ok, "\(verify.problems)")
    }

    @Test func aStagedFileThatChangedIsNotArchivedButDownloadedAgain() throws {
        var h = try PackHarness()
        try h.fill(texts: 1)
        try Data("tampered".utf8).write(to: URL(fileURLWithPath: h.base.dir.file("staged-mi0")))
        let report = try h.packer().pack()
        #expect(report.discarded == ["mi0"])
        #expect(try h.ledger.searchStore.message(id: "mi0")?.state == .contentDue)
        #expect(try h.verify().ok)
    }

    /// Three segments, for chain tests.
    static func chained() throws -> PackHarness {
        var h = try PackHarness()
        for (index, prefix) in ["a", "b", "c"].enumerated() {
            try h.fill(texts: 30, prefix: prefix, at: 1_790_000_000_000 + Int64(index) * 100_000)
            _ = try h.packer(at: Instant(milliseconds: LedgerHarness.now.milliseconds + Int64(index) * 1000)).pack()
        }
        #expect(h.segmentPaths().count == 3)
        return h
    }

    @Test func flippingAnyByteIsCaughtByVerify() throws {
        let h = try Self.chained()
        for path in h.segmentPaths() {
            let file = h.archiveDir + "/" + path
            let original = try Data(contentsOf: URL(fileURLWithPath: file))
            // Positions across the file: headers, data, the manifest, the trailer.
            for position in stride(from: 0, to: original.count, by: max(1, original.count / 23)) + [original.count - 1, original.count - 30] {
                var damaged = original
                damaged[position] ^= 0x20
                try damaged.write(to: URL(fileURLWithPath: file))
                let withLedger = try h.verify()
                #expect(!withLedger.ok && withLedger.problems.contains { $0.contains(path) }, "byte \(position) of \(path)")
                // Even without the ledger, the manifest, the chain or the trailer catch it.
                let alone = try h.verify(withLedger: false)
                #expect(!alone.ok, "byte \(position) of \(path), no ledger: \(alone.problems)")
            }
            try original.write(to: URL(fileURLWithPath: file))
        }
        #expect(try h.verify(deep: true).ok)
    }

    @Test func deletingAMiddleSegmentBreaksTheChainAndVerifyNamesTheGap() throws {
        let h = try Self.chained()
        let middle = h.segmentPaths()[1]
        try FileManager.default.removeItem(atPath: h.archiveDir + "/" + middle)
        let report = try h.verify(withLedger: false)
        #expect(report.problems.contains { $0.contains("segment 2 is missing") && $0.contains(middle) }, "\(report.problems)")
        let withLedger = try h.verify()
        #expect(withLedger.problems.contains { $0.contains(middle) && $0.contains("missing from the archive dir") })
    }

    @Test func reorderedSegmentsAreNamed() throws {
        let h = try Self.chained()
        let paths = h.segmentPaths()
        let a = h.archiveDir + "/" + paths[0], b = h.archiveDir + "/" + paths[1]
        try FileManager.default.moveItem(atPath: a, toPath: a + ".swap")
        try FileManager.default.moveItem(atPath: b, toPath: a)
        try FileManager.default.moveItem(atPath: a + ".swap", toPath: b)
        let report = try h.verify(withLedger: false)
        #expect(report.problems.contains { $0.contains("renamed or moved") && $0.contains(paths[0]) }, "\(report.problems)")
    }

    @Test func aSecondPackWaitsForTheLock() throws {
        let dir = TempDir()
        let lock = try PackLock.acquire(dataDir: dir.path)
        #expect(throws: PackLockError.self) { _ = try PackLock.acquire(dataDir: dir.path) }
        lock.release()
        let again = try PackLock.acquire(dataDir: dir.path)
        again.release()
    }
}
