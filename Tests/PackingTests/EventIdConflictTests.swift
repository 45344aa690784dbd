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

/// A `webhookEventId` that repeats with other content. The message id is a message's identity:
/// a new message id is never dropped because its event id was seen before. The conflict is
/// still counted and kept raw in `event_conflicts`.
@Suite struct EventIdConflictTests {
    let base: Int64 = 1_790_000_000_000

    /// LINE's documented example of two images sent at once: both events carry one
    /// `webhookEventId`, each with its own message id and `imageSet` index.
    func imageSet() -> [[String: Any]] {
        (1...2).map { index in
            Webhook.media("35471870503369386\(index == 1 ? "0" : "1")", type: "image", eventId: "01FZ74A0TDDPYRVKNK77XKC3ZR",
                          at: 1_627_356_924_513, extra: ["imageSet": ["id": "E005D41A7288F41B65593ED38FF6E9834B046AB36A37921A56BC236F13A91855",
                                                                      "index": index, "total": 2]])
        }
    }

    @Test func bothImagesOfAnImageSetAreStored() throws {
        let harness = try LedgerHarness()
        let counts = try harness.capture(Webhook.body(imageSet()))
        #expect(counts.newMessages == 2)
        #expect(counts.conflictingEvents == 1)
        for id in ["354718705033693860", "354718705033693861"] {
            let message = try #require(try harness.ledger.searchStore.message(id: id), "message \(id) was dropped")
            #expect(message.kind == .image)
            #expect(message.state == .contentDue)
            #expect(message.eventJSON.contains("\"id\":\"\(id)\""))
        }
        let tables = try harness.ledger.statusStore.tableCounts()
        #expect(tables["raw_events"] == 2)
        #expect(tables["event_conflicts"] == 1, "the conflict is kept raw, as before")
        #expect(try harness.status().ledger.conflictingEvents == 1)
        let derived = try harness.ledger.db.first("SELECT event_id FROM raw_events WHERE event_id != '01FZ74A0TDDPYRVKNK77XKC3ZR'") { $0.text(0) }
        #expect(derived?.hasPrefix("01FZ74A0TDDPYRVKNK77XKC3ZR#") == true)

        // Ingesting the same body again, or the second image alone, changes nothing.
        let again = try harness.capture(Webhook.body(imageSet()), Webhook.body([imageSet()[1]]))
        #expect(again.newEvents == 0 && again.newMessages == 0 && again.conflictingEvents == 0)
        #expect(again.duplicateEvents == 3)
        #expect(try harness.ledger.statusStore.tableCounts() == tables)
    }

    @Test func aConflictingEditOrUnsendIsApplied() throws {
        let harness = try LedgerHarness()
        let group = Webhook.source(group: "Cgroup")
        try harness.capture(Webhook.body([Webhook.text("m1", "元の文", eventId: "same", at: base, source: group),
                                          Webhook.text("m2", "消す文", eventId: "other", at: base, source: group)]))
        let counts = try harness.capture(Webhook.body([
            Webhook.edit("m1", "編集後", eventId: "same", at: base + 1_000),
            Webhook.unsend("m2", eventId: "same", at: base + 2_000, source: group),
            Webhook.text("m1", "元の文", eventId: "other", at: base + 3_000, source: group),
        ]))
        #expect(counts.conflictingEvents == 3)
        #expect(counts.editsApplied == 1)
        #expect(counts.unsendsApplied == 1)
        #expect(counts.newMessages == 0, "a known message id under a reused event id is a duplicate message")
        #expect(counts.duplicateMessages == 1)
        #expect(try harness.ledger.searchStore.message(id: "m1")?.text == "編集後")
        #expect(try harness.ledger.searchStore.message(id: "m2")?.state == .unsent)
        #expect(try harness.ledger.statusStore.tableCounts()["event_conflicts"] == 3)
    }

    @Test func aRedeliveredConflictIsADuplicateAndNoted() throws {
        let harness = try LedgerHarness()
        let pair = imageSet()
        try harness.capture(Webhook.body(pair))
        var redelivered = pair[1]
        redelivered["deliveryContext"] = ["isRedelivery": true]
        let counts = try harness.capture(Webhook.body([redelivered]))
        #expect(counts.duplicateEvents == 1 && counts.conflictingEvents == 0 && counts.newEvents == 0)
        #expect(try harness.status().ledger.redeliveredEvents == 1)
    }

    /// The second message's defining event is stored under the derived id; its archive
    /// record carries that row, and a reindex rebuilds both messages and their events.
    @Test func aMessageDefinedByAConflictingEventSurvivesPackAndReindex() throws {
        let h = try PackHarness()
        try h.base.capture(Webhook.body([
            Webhook.text("t1", "一通目", eventId: "shared", at: base),
            Webhook.text("t2", "二通目", eventId: "shared", at: base + 1),
            Webhook.edit("t1", "一通目(編集)", eventId: "shared", at: base + 2, source: Webhook.source()),
        ]))
        #expect(try h.ledger.searchStore.message(id: "t2")?.text == "二通目")
        #expect(try h.ledger.searchStore.message(id: "t1")?.text == "一通目(編集)")
        let packed = try h.packer().pack()
        #expect(packed.records == 2)
        #expect(try h.verify(deep: true).ok)

        let fresh = try Ledger.opened(path: h.base.dir.file("rebuilt/ledger.sqlite3"), policy: .lineDefaults)
        let report = try Reindexer(archiveDir: h.archiveDir).run(into: fresh.archiveIndex, now: LedgerHarness.now)
        #expect(report.problems.isEmpty, "\(report.problems)")
        let strip = { (rows: [Columns]) in rows.map { $0.filter { $0.name != "event_seq" && $0.name != "staged_file" }.map { "\($0.name)=\($0.value)" } } }
        let messages = "SELECT * FROM messages ORDER BY id"
        #expect(strip(try fresh.rows(messages)) == strip(try h.ledger.rows(messages)))
        let events = "SELECT e.event_id, e.fingerprint, e.body FROM messages m JOIN raw_events e ON e.seq = m.event_seq ORDER BY m.id"
        #expect(strip(try fresh.rows(events)) == strip(try h.ledger.rows(events)))
        let edits = "SELECT x.message_id, x.text, e.event_id FROM message_edits x JOIN raw_events e ON e.seq = x.event_seq ORDER BY 1"
        #expect(strip(try fresh.rows(edits)) == strip(try h.ledger.rows(edits)))
        #expect(try fresh.searchStore.message(id: "t2")?.text == "二通目")
        #expect(try fresh.searchStore.message(id: "t1")?.text == "一通目(編集)")
        let check = try Verifier(archiveDir: h.archiveDir, index: fresh.archiveIndex, deep: true).run()
        #expect(check.ok, "\(check.problems)")
    }
}
