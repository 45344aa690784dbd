import Foundation
@testable import Ledger
import Lookup
import Store
import Intake
import TalkVaultDomain
import Testing
import LedgerTestSupport
import TestSupport

/// `find`'s index is a cache in a file of its own: two `find`s share it, a damaged one is
/// built again, and one that is ahead of its ledger (restored from an older copy) starts over.
@Suite struct SearchIndexTests {
    static func text(_ ledger: Ledger, _ needle: String) throws -> Int {
        var query = FindQuery()
        query.text = needle
        return try Finder.count(ledger.searchStore, query)
    }

    @Test func aDamagedIndexFileIsBuiltAgain() throws {
        let h = try LedgerHarness()
        try h.capture(Webhook.body([Webhook.text("m1", "予約の確認", eventId: "e1", at: 1_790_000_000_000)]))
        #expect(try Self.text(h.ledger, "予約の") == 1)
        let path = h.ledger.searchIndexPath
        for suffix in ["-wal", "-shm"] { unlink(path + suffix) }
        try Data(repeating: 0x5A, count: 8192).write(to: URL(fileURLWithPath: path))
        let reopened = try Ledger.opened(path: h.ledger.path, policy: .lineDefaults, create: false, applyingInbox: false)
        #expect(try Self.text(reopened, "予約の") == 1)
    }

    @Test func anIndexAheadOfARestoredLedgerStartsOver() throws {
        let h = try LedgerHarness()
        try h.capture(Webhook.body([Webhook.text("m1", "予約の確認", eventId: "e1", at: 1_790_000_000_000)]))
        // The ledger as a backup took it, before more messages and the index.
        let backup = h.dir.file("backup.sqlite3")
        try h.ledger.db.execute("VACUUM INTO '\(backup)'")
        for n in 2...5 {
            try h.capture(Webhook.body([Webhook.text("m\(n)", "予約の変更 \(n)", eventId: "e\(n)", at: 1_790_000_000_000)]))
        }
        #expect(try Self.text(h.ledger, "予約の") == 5)
        // Restored: the same ledger id, changes numbered from where the backup was.
        let restoredPath = h.dir.file("restored/ledger.sqlite3")
        try FileManager.default.createDirectory(atPath: h.dir.file("restored"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: backup, toPath: restoredPath)
        try FileManager.default.copyItem(atPath: h.ledger.searchIndexPath, toPath: restoredPath + "-search")
        let restored = try Ledger.opened(path: restoredPath, policy: .lineDefaults, create: false, applyingInbox: false)
        _ = try Capturer(ledger: restored, clock: FixedClock(LedgerHarness.now))
            .capture([Webhook.body([Webhook.text("m9", "予約の追加", eventId: "e9", at: 1_790_000_000_000)])])
        #expect(try Self.text(restored, "予約の") == 2, "the restored ledger's two messages, not the index's five")
    }
}
