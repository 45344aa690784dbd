import Intake
import Foundation
import LINE
@testable import Ledger
import Store
import TalkVaultDomain
import Testing
import LedgerTestSupport
import TestSupport

@Suite struct ConformanceFixtureTests {
    /// LINE's sample reuses one `webhookEventId` for all 27 events. The message id, not the
    /// event id, is a message's identity: every event is applied, and the reuse is counted.
    @Test func asIsEveryEventIsAppliedAndTheReusedIdsAreCountedAsConflicts() throws {
        let harness = try LedgerHarness()
        let counts = try harness.capture(try Fixtures.conformanceData())
        #expect(counts.eventsRead == 27)
        #expect(counts.newEvents == 26)
        // The last event is the first one redelivered (same content but for deliveryContext).
        #expect(counts.duplicateEvents == 1)
        #expect(counts.conflictingEvents == 25)
        // Message id 325708 is used by nine message events; 354718705033693861 by one.
        #expect(counts.newMessages == 2)
        #expect(counts.duplicateMessages == 8)
        #expect(counts.unsendsApplied == 1)
        #expect(counts.unknownTypes == 1)
        let tables = try harness.ledger.statusStore.tableCounts()
        #expect(tables["raw_events"] == 26)
        #expect(tables["event_conflicts"] == 25, "nothing is dropped: conflicting events are kept raw")
        let message = try #require(try harness.ledger.searchStore.message(id: "325708"))
        #expect(message.kind == .text)
        #expect(message.text == "Hello, world")
        #expect(message.state == .unsent, "the sample's unsend names it")
        let image = try #require(try harness.ledger.searchStore.message(id: "354718705033693861"))
        #expect(image.kind == .image)
        #expect(image.state == .contentDue)
    }

    @Test func withUniqueIdsEveryEventTypeIsHandled() throws {
        let harness = try LedgerHarness()
        let counts = try harness.capture(try Fixtures.uniqueConformanceData())
        #expect(counts.eventsRead == 27)
        #expect(counts.newEvents == 27)
        #expect(counts.newMessages == 11)
        #expect(counts.unsendsApplied == 1)
        #expect(counts.unknownTypes == 1)
        #expect(counts.invalidEvents == 0)
        #expect(counts.conflictingEvents == 0)

        let status = try harness.status()
        #expect(status.messages["text"]?["received"] == 3)
        #expect(status.messages["text"]?["unsent"] == 1)
        for kind in ["image", "video", "audio", "file"] {
            #expect(status.messages[kind]?["content_due"] == (kind == "image" ? 2 : 1), "\(kind)")
        }
        #expect(status.messages["sticker"]?["received"] == 1)
        #expect(status.messages["location"]?["received"] == 1)
        #expect(status.ledger.unknownEvents == 1)
        #expect(status.ledger.chats == 4)

        let sentAt = Instant(milliseconds: 1_462_629_479_859)
        let file = try #require(try harness.ledger.searchStore.message(id: "325708-21"))
        #expect(file.kind == .file)
        #expect(file.fileName == "file.txt")
        #expect(file.fileSize == 2138)
        #expect(file.deadline == sentAt.adding(.days(7)))
        let external = try #require(try harness.ledger.searchStore.message(id: "325708-1"))
        #expect(external.chat == ChatRef(type: .room, id: "Ra8dbf4673c4c812cd491258042226c99"))
        #expect(external.contentProvider == "external")
        #expect(external.contentURL == "https://example.com")
        #expect(external.deadline == sentAt.adding(.days(14)))
        let sticker = try #require(try harness.ledger.searchStore.message(id: "325708-5"))
        #expect(sticker.eventJSON.contains("\"keywords\":[\"Love You\",\"Love\"]"))
        let imageSet = try #require(try harness.ledger.searchStore.message(id: "354718705033693861-24"))
        #expect(imageSet.eventJSON.contains("\"imageSet\""))
        let unsent = try #require(try harness.ledger.searchStore.message(id: "325708-14"))
        #expect(unsent.state == .unsent)
        #expect(unsent.chat.type == .group)
        #expect(unsent.senderId == "U206d25c2ea6bd87c17655609a1c37cb8")
    }

    @Test func capturingTheSameBodiesTwiceChangesNothing() throws {
        for data in [try Fixtures.conformanceData(), try Fixtures.uniqueConformanceData()] {
            let harness = try LedgerHarness()
            try harness.capture(data)
            let status = try harness.status()
            let tables = try harness.ledger.statusStore.tableCounts()
            let again = try harness.capture(data)
            #expect(again.newEvents == 0)
            #expect(again.newMessages == 0)
            #expect(try harness.status() == status)
            #expect(try harness.ledger.statusStore.tableCounts() == tables, "\(tables)")
        }
    }
}

@Suite struct CaptureOrderTests {
    let base: Int64 = 1_790_000_000_000
    var group: [String: Any] { Webhook.source(group: "Cgroup") }

    /// Captures the events one body each, in the given order, and returns the final message.
    func finalMessage(_ events: [[String: Any]], id: String) throws -> (MessageRecord?, [String: Int], StatusReport) {
        let harness = try LedgerHarness()
        for event in events { try harness.capture(Webhook.body([event])) }
        return (try harness.ledger.searchStore.message(id: id), try harness.ledger.statusStore.tableCounts(), try harness.status())
    }

    @Test func everyArrivalOrderEndsInTheSameState() throws {
        let events = [
            Webhook.text("m1", "元の文", eventId: "e1", at: base, source: group),
            Webhook.edit("m1", "一回目の編集", eventId: "e2", at: base + 1_000),
            Webhook.edit("m1", "二回目の編集", eventId: "e3", at: base + 2_000),
            Webhook.unsend("m2", eventId: "e4", at: base + 3_000, source: group),
            Webhook.text("m2", "消される", eventId: "e5", at: base + 500, source: group),
        ]
        var outcomes: Set<String> = []
        for permutation in permutations(of: Array(events.indices)) {
            let (m1, tables, status) = try finalMessage(permutation.map { events[$0] }, id: "m1")
            let m1Record = try #require(m1)
            #expect(m1Record.text == "二回目の編集")
            #expect(m1Record.originalText == "元の文")
            #expect(m1Record.sentAt.milliseconds == base)
            #expect(m1Record.edited)
            #expect(status.messages["text"]?["unsent"] == 1)
            #expect(status.ledger.pendingUnsends == 0)
            outcomes.insert("\(m1Record)|\(tables.sorted { $0.key < $1.key })")
        }
        #expect(outcomes.count == 1, "the arrival order leaked into the result: \(outcomes)")
    }

    @Test func anUnsendBeforeItsMessageIsHeldAndApplied() throws {
        let harness = try LedgerHarness()
        let first = try harness.capture(Webhook.body([Webhook.unsend("m9", eventId: "u1", at: base + 10)]))
        #expect(first.unsendsPending == 1)
        #expect(try harness.status().ledger.pendingUnsends == 1)
        try harness.capture(Webhook.body([Webhook.media("m9", type: "image", eventId: "i1", at: base)]))
        let message = try #require(try harness.ledger.searchStore.message(id: "m9"))
        #expect(message.state == .unsent)
        #expect(message.unsentAt?.milliseconds == base + 10)
        #expect(try harness.status().ledger.pendingUnsends == 0)
    }

    @Test func aRedeliveryIsStoredOnceAndNoted() throws {
        let harness = try LedgerHarness()
        let event = Webhook.text("m1", "hi", eventId: "01REDELIVER", at: base)
        try harness.capture(Webhook.body([event]))
        var again = event
        again["deliveryContext"] = ["isRedelivery": true]
        let counts = try harness.capture(Webhook.body([again, again]))
        #expect(counts.duplicateEvents == 2)
        #expect(counts.conflictingEvents == 0)
        let status = try harness.status()
        #expect(status.ledger.redeliveredEvents == 1)
        #expect(status.ledger.messages == 1)
        #expect(try harness.ledger.statusStore.tableCounts()["message_history"] == 1)
    }

    @Test func theSameMessageIdUnderANewEventIdIsADuplicateMessage() throws {
        let harness = try LedgerHarness()
        try harness.capture(Webhook.body([Webhook.text("m1", "hi", eventId: "a", at: base)]))
        let counts = try harness.capture(Webhook.body([Webhook.text("m1", "hi", eventId: "b", at: base)]))
        #expect(counts.newEvents == 1)
        #expect(counts.duplicateMessages == 1)
        #expect(try harness.status().ledger.messages == 1)
    }

    @Test func eventsWithoutAnIdAreDeduplicatedByContent() throws {
        let harness = try LedgerHarness()
        var event = Webhook.text("m1", "hi", eventId: "x", at: base)
        event.removeValue(forKey: "webhookEventId")
        try harness.capture(Webhook.body([event]))
        let counts = try harness.capture(Webhook.body([event]))
        #expect(counts.duplicateEvents == 1)
        #expect(try harness.ledger.statusStore.tableCounts()["raw_events"] == 1)
    }

    @Test func unknownTypesAreKeptAndCounted() throws {
        let harness = try LedgerHarness()
        let counts = try harness.capture(Webhook.body([
            Webhook.event("hologramSent", id: "h1", at: base, extra: ["hologram": ["id": 1]]),
            Webhook.media("m5", type: "hologram", eventId: "h2", at: base),
        ]))
        #expect(counts.unknownTypes == 1)
        #expect(counts.unknownMessageTypes == 1)
        let message = try #require(try harness.ledger.searchStore.message(id: "m5"))
        #expect(message.kind == .unknown)
        #expect(message.lineType == "hologram")
        #expect(message.state == .received)
        #expect(message.deadline == Instant(milliseconds: base).adding(.days(7)))
    }

    @Test func anEventMissingWhatItNeedsIsKeptRawNotApplied() throws {
        let harness = try LedgerHarness()
        let counts = try harness.capture(Webhook.body([
            Webhook.event("message", id: "bad1", at: base, extra: ["message": ["type": "text", "text": "no id"]]),
            Webhook.event("unsend", id: "bad2", at: base),
            ["type": "message", "webhookEventId": "bad3", "source": Webhook.source(),
             "message": ["id": "m1", "type": "text", "text": "no timestamp"]],
            Webhook.text("m2", "fine", eventId: "good", at: base),
        ]))
        #expect(counts.invalidEvents == 3)
        #expect(counts.newMessages == 1)
        #expect(try harness.ledger.statusStore.tableCounts()["raw_events"] == 4)
        #expect(try harness.ledger.searchStore.message(id: "m1") == nil)
    }

    @Test func aPolicyChangeRecomputesDeadlines() throws {
        let dir = TempDir()
        let path = dir.file("ledger.sqlite3")
        do {
            let ledger = try Ledger.opened(path: path, policy: .lineDefaults)
            _ = try Capturer(ledger: ledger, clock: FixedClock(LedgerHarness.now))
                .capture([Webhook.body([Webhook.media("f1", type: "file", eventId: "f", at: base)])])
            #expect(try ledger.searchStore.message(id: "f1")?.deadline == Instant(milliseconds: base).adding(.days(7)))
        }
        let shorter = RetentionPolicy(windows: [.file: .days(3)], safetyMargin: .days(1))
        let reopened = try Ledger.opened(path: path, policy: shorter)
        #expect(try reopened.searchStore.message(id: "f1")?.deadline == Instant(milliseconds: base).adding(.days(3)))
    }

    @Test func atRiskAndNextDeadlinesFollowTheClock() throws {
        let harness = try LedgerHarness()
        let now = LedgerHarness.now.milliseconds
        try harness.capture(Webhook.body([
            Webhook.media("late", type: "file", eventId: "1", at: now - 8 * 86_400_000),   // deadline passed
            Webhook.media("soon", type: "file", eventId: "2", at: now - 6 * 86_400_000),   // 1 day left < 2d margin
            Webhook.media("fine", type: "image", eventId: "3", at: now - 1 * 86_400_000),  // 13 days left
            Webhook.text("t", "text", eventId: "4", at: now),
        ]))
        let status = try harness.status()
        #expect(status.atRisk.count == 2)
        #expect(status.atRisk.overdue == 1)
        #expect(status.atRisk.items.map(\.messageId) == ["late", "soon"])
        #expect(status.atRisk.items.map(\.risk) == ["overdue", "at_risk"])
        #expect(status.nextDeadlines.map(\.messageId) == ["late", "soon", "fine", "t"])
        #expect(status.nextDeadlines[1].secondsLeft == 86_400)
    }

    @Test func aMalformedBodyIsRejectedAloneWithoutEchoingIt() throws {
        let harness = try LedgerHarness()
        let secret = "口座番号は1234567です"
        let results = try harness.capturer.capture([
            Data("{\"events\": [{\"type\": \"message\", \"text\": \"\(secret)\"".utf8),
            Webhook.body([Webhook.text("m1", "ok", eventId: "e1", at: base)]),
            Data("[1, 2]".utf8),
            Data("{\"destination\": \"U1\"}".utf8),
            Data("{\"events\": [42]}".utf8),
        ])
        guard case .rejected(let first) = results[0] else { Issue.record("expected a rejection"); return }
        #expect(!first.description.contains(secret))
        #expect(first.description.hasPrefix("malformed JSON"))
        #expect(results[1] != results[0])
        if case .stored(let counts) = results[1] { #expect(counts.newMessages == 1) } else { Issue.record("not stored") }
        #expect(results[2] == .rejected(.notAnObject))
        #expect(results[3] == .rejected(.missingEvents))
        #expect(results[4] == .rejected(.eventNotAnObject(index: 0)))
        #expect(try harness.ledger.statusStore.tableCounts()["raw_events"] == 1)
    }

    @Test func anEmptyEventsArrayIsAConnectionCheck() throws {
        let harness = try LedgerHarness()
        let results = try harness.capturer.capture([Data("{\"destination\":\"U1\",\"events\":[]}".utf8)])
        #expect(results == [.stored(CaptureCounts())])
    }

    @Test func aFullDiskLosesTheWholeBatchAndNothingElse() throws {
        let harness = try LedgerHarness()
        try harness.capture(Webhook.body([Webhook.text("kept", "before", eventId: "k", at: base)]))
        let before = try harness.ledger.statusStore.tableCounts()
        // Cap the database just above its current size, so the next big batch cannot fit.
        let pages = try harness.ledger.db.scalar("PRAGMA page_count")
        try harness.ledger.db.execute("PRAGMA max_page_count=\(pages + 2)")
        // From a chat not yet stored: the rolled-back batch must not leave it marked as known.
        let big = (0..<400).map { Webhook.text("m\($0)", String(repeating: "長い文章 ", count: 200), eventId: "big\($0)", at: base,
                                               source: Webhook.source(user: "Unewcomer")) }
        #expect {
            _ = try harness.capturer.capture([Webhook.body(big)])
        } throws: { error in
            guard case LedgerError.diskFull = error else { return false }
            return true
        }
        #expect(try harness.ledger.statusStore.tableCounts() == before)
        // The ledger still works once space is back.
        try harness.ledger.db.execute("PRAGMA max_page_count=1073741823")
        #expect(try harness.capture(Webhook.body(big)).newMessages == 400)
        #expect(try harness.ledger.statusStore.tableCounts()["chats"] == 2)
        #expect(try harness.ledger.profileStore.profilesDue(now: LedgerHarness.now, refresh: .days(7), limit: 10).map(\.userId).contains("Unewcomer"))
    }
}

func permutations<T>(of items: [T]) -> [[T]] {
    guard items.count > 1 else { return [items] }
    return items.indices.flatMap { index -> [[T]] in
        var rest = items
        let head = rest.remove(at: index)
        return permutations(of: rest).map { [head] + $0 }
    }
}

/// A time an older version stored near Int64's limit never stops the ledger from opening, not
/// even when a changed window makes every deadline be computed again.
@Suite struct ExtremeStoredTimeTests {
    @Test func aChangedWindowSaturatesTheDeadlineOfAnExtremeTime() throws {
        let h = try LedgerHarness()
        try h.capture(Webhook.body([Webhook.text("m1", "hi", eventId: "e1", at: 1_790_000_000_000)]))
        try h.ledger.db.run("UPDATE messages SET sent_at_ms = 9223372036854000000 WHERE id = 'm1'")
        var windows = RetentionPolicy.lineDefaults.windows
        windows[.text] = .days(400)
        let policy = RetentionPolicy(windows: windows, overrides: [:], safetyMargin: RetentionPolicy.lineDefaults.safetyMargin)
        let reopened = try Ledger.opened(path: h.ledger.path, policy: policy, create: false, applyingInbox: false)
        #expect(try reopened.db.scalar("SELECT deadline_ms FROM messages WHERE id = 'm1'") == .max)
        _ = try reopened.statusStore.status(now: LedgerHarness.now, timeZone: TimeZone(identifier: "Asia/Tokyo")!)
    }
}

