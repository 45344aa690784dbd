import Archive
import Crypto
import Foundation
import ArchiveRecord
import LINE
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

@Suite struct RecordFixtureTests {
    @Test func theFixtureIsSmallAndWhole() throws {
        let attributes = try FileManager.default.attributesOfItem(atPath: RecordFixture.archiveDir + "/" + RecordFixture.segment)
        #expect((attributes[.size] as? Int ?? 0) < 16 * 1024)
        #expect(SegmentReader.segmentFiles(archiveDir: RecordFixture.archiveDir) == [RecordFixture.segment])
        let report = try Verifier(archiveDir: RecordFixture.archiveDir, index: nil, deep: true).run()
        #expect(report.ok, "\(report.problems)")
        #expect(report.recordsChecked == RecordFixture.messageIds.count)
        #expect(report.entriesChecked == 3)   // the file; messages.jsonl in its member, then whole
    }

    @Test func everyRecordOfTheFixtureDecodes() throws {
        let records = try RecordFixture.records(archiveDir: RecordFixture.archiveDir, segment: RecordFixture.segment)
        let ids = try records.map { try RecordCodec.decode($0).message.id }
        #expect(ids.sorted() == RecordFixture.messageIds)
        // A purge reads the id without decoding: the same ids, from the committed records.
        #expect(records.map { RecordCodec.messageId(in: $0) } == ids.map { Optional($0) })
        #expect(RecordCodec.messageId(in: Array(#"{"message":{"id":"a\"b"}}"#.utf8)) == nil, "an escaped id is left to decode")
        #expect(RecordCodec.messageId(in: Array("{}".utf8)) == nil)
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
        let report = try Reindexer(archiveDir: RecordFixture.archiveDir).run(into: ledger.archiveIndex, now: RecordFixture.packedAt)
        #expect(report.problems.isEmpty)
        #expect(report.segments == 1)
        #expect(report.records == RecordFixture.messageIds.count)
        #expect(report.contentEntries == 1)
        #expect(try RecordFixture.rows(of: ledger) == RecordFixture.committedRows())

        // verify --deep compares every record with the row rebuilt from it.
        let check = try Verifier(archiveDir: RecordFixture.archiveDir, index: ledger.archiveIndex, deep: true).run()
        #expect(check.ok, "\(check.problems)")
        #expect(check.recordsCompared == RecordFixture.messageIds.count)

        // The file and a text come back from the rebuilt ledger.
        let restorer = Restorer(index: ledger.archiveIndex, archiveDir: RecordFixture.archiveDir)
        var file: [UInt8] = []
        try restorer.stream(id: "file-pdf") { file += $0 }
        #expect(file == RecordFixture.fileBytes)
        var text: [UInt8] = []
        try restorer.stream(id: "text-edited") { text += $0 }
        #expect(String(decoding: text, as: UTF8.self) == "明日 11 時で\n")
    }

}
