import Foundation
@testable import Ledger
@testable import Packing
import SQLiteDB
import Store
import TalkVaultDomain
import Testing
import LedgerTestSupport
import PackingTestSupport
import TestSupport

/// `verify --deep` against the ledger: every message's newest record is compared with its row.
@Suite struct VerifyAgainstTheLedgerTests {
    @Test func aChangeWaitingForItsRepackIsNoDifferenceButTheContentStillMustAgree() throws {
        let h = try PackHarness.packed()
        // Archived, then edited, read, and read by LINE's auto mode: the row moves on until the
        // next pack writes a newer record.
        try h.base.capture(Webhook.body([Webhook.edit("mt0", "編集後", eventId: "edit-1", at: 1_790_000_100_000)]))
        _ = try h.ledger.readState.markRead(ids: ["mi0"], by: "sato", at: Instant(milliseconds: LedgerHarness.now.milliseconds + 1_000))
        try h.ledger.readState.markAutoRead()
        let pending = try h.verify(deep: true)
        #expect(pending.ok, "\(pending.problems)")
        // What no later change can touch must still agree.
        try h.ledger.db.run("UPDATE messages SET content_size = 1 WHERE id = 'mi0'")
        #expect(try h.verify(deep: true).problems == ["message mi0: content_size differs between the ledger and its record in \(h.segmentPaths()[0])"])
        try h.ledger.db.run("UPDATE messages SET content_size = 5004 WHERE id = 'mi0'")
        // Packed again: the newest records win; the older ones are history, not compared.
        let second = try h.packer(at: Instant(milliseconds: LedgerHarness.now.milliseconds + 60_000)).pack()
        #expect(second.records == 2)
        let report = try h.verify(deep: true)
        #expect(report.ok, "\(report.problems)")
        #expect(report.recordsCompared == 25)
        #expect(report.recordsChecked == 27)
    }

    /// A hand edit that also bumps the version, or moves the state back, so that the row looks
    /// like a change waiting for its repack, is still named: what the message's own event set
    /// cannot change, and its text must be its latest edit or its original.
    @Test func aForgeryDressedAsAPendingChangeIsNamed() throws {
        let h = try PackHarness.packed()
        try h.ledger.db.run("UPDATE messages SET text = '偽造', updated_at_ms = updated_at_ms + 1 WHERE id = 'mt3'")
        try h.ledger.db.run("UPDATE messages SET sender_id = 'Uforged', state = 'received' WHERE id = 'mt4'")
        try h.ledger.db.run("UPDATE messages SET sent_at_ms = sent_at_ms - 86400000, updated_at_ms = updated_at_ms + 1 WHERE id = 'mt5'")
        let segment = h.segmentPaths()[0]
        #expect(try h.verify(deep: true).problems.sorted() == [
            "message mt3: text (not its latest edit nor its original) differs between the ledger and its record in \(segment)",
            "message mt4: sender_id differs between the ledger and its record in \(segment)",
            "message mt5: sent_at_ms differs between the ledger and its record in \(segment)",
        ])
    }

    /// A value no record can hold (a chat type TalkVault does not know, written by hand) differs
    /// from any record, and is never packed.
    @Test func aValueNoRecordCanHoldIsADifferenceAndIsNotPacked() throws {
        let h = try PackHarness.packed()
        let segment = h.segmentPaths()[0]
        try h.ledger.db.run("UPDATE messages SET chat_type = 'channel' WHERE id = 'mt6'")
        #expect(try h.verify(deep: true).problems == ["message mt6: chat_type differs between the ledger and its record in \(segment)"])
        // Dressed as a change waiting for its repack: still named, and the pack refuses it.
        try h.ledger.db.run("UPDATE messages SET updated_at_ms = updated_at_ms + 1, edited = 2 WHERE id = 'mt6'")
        #expect(try h.verify(deep: true).problems == ["message mt6: chat_type differs between the ledger and its record in \(segment)"])
        let error = #expect(throws: LedgerError.self) { try h.packer(at: Instant(milliseconds: LedgerHarness.now.milliseconds + 60_000)).pack() }
        #expect(error?.description == "the ledger's schema is not one TalkVault wrote: message mt6: chat_type, edited hold values TalkVault does not write")
        #expect(h.segmentPaths() == [segment])
    }

    @Test func manyDifferencesAreNamedUpToALimitThenCounted() throws {
        var h = try PackHarness()
        try h.fill(texts: 200)
        _ = try h.packer().pack()
        try h.ledger.db.run("DELETE FROM messages WHERE id LIKE 'mt%' AND CAST(substr(id, 3) AS INTEGER) < 150")
        let report = try h.verify(deep: true)
        #expect(report.problems.count == 101, "\(report.problems.count)")
        #expect(report.problems.prefix(100).allSatisfy { $0.hasPrefix("message mt") && $0.contains("the ledger has no row for it") })
        #expect(report.problems.last == "… and 50 more archived records differ from the ledger")
    }
}

/// `verify` names each file by its real name and its real fault.
@Suite struct VerifyWordingTests {
    @Test func aSegmentWithADamagedTrailerIsDamagedNotMissing() throws {
        let h = try PackingTests.chained()
        let middle = h.segmentPaths()[1]
        let file = h.archiveDir + "/" + middle
        var bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        for index in (bytes.count - 24)..<bytes.count { bytes[index] = 0 }
        try bytes.write(to: URL(fileURLWithPath: file))
        for report in [try h.verify(), try h.verify(deep: true), try h.verify(withLedger: false)] {
            #expect(report.problems.contains { $0.hasPrefix("\(middle): damaged:") }, "\(report.problems)")
            #expect(report.problems.contains("chain position 2: \(middle) is there but its manifest cannot be read, "
                                             + "and it is not the file \(h.segmentPaths()[2]) links to (modified)"), "\(report.problems)")
            #expect(!report.problems.contains { $0.contains("missing from the archive dir") || $0.contains("is missing") }, "\(report.problems)")
        }
        #expect(try h.verify().problems.contains("\(middle): differs from the hash the ledger indexed (modified after packing)"))
    }

    @Test func anExtraCopyOfASegmentIsNamedAsACopy() throws {
        let h = try PackingTests.chained()
        let last = h.segmentPaths()[2]
        let copy = last.replacingOccurrences(of: "-0003.tar.gz", with: "-0004.tar.gz")
        try FileManager.default.copyItem(atPath: h.archiveDir + "/" + last, toPath: h.archiveDir + "/" + copy)
        for report in [try h.verify(), try h.verify(deep: true), try h.verify(withLedger: false)] {
            #expect(report.problems == ["\(copy): a copy of \(last) (the same bytes, which name \(last) at chain position 3): "
                                        + "not a segment of its own; remove it"], "\(report.problems)")
        }
        // A copy altered since is not the same file: both claim the position, each by its own name.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: h.archiveDir + "/" + copy))
        bytes[100] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: h.archiveDir + "/" + copy))
        let report = try h.verify(withLedger: false)
        #expect(report.problems.contains("\(copy): its manifest names it \(last): renamed or moved"), "\(report.problems)")
        #expect(report.problems.contains("segments \(last) and \(copy) both claim chain position 3"), "\(report.problems)")
        #expect(!report.problems.contains { $0.contains("\(last) and \(last)") }, "\(report.problems)")
    }
}
