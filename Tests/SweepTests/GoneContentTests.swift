import AsyncHTTPClient
import Intake
import Store
import Foundation
@testable import LINESimulator
@testable import Ledger
import SQLiteDB
@testable import Sweep
import TalkVaultDomain
import Testing
import LedgerTestSupport
import SweepTestSupport
import TestSupport

/// LINE documents 410 after an unsend, and not what expired content answers: a 410 for a
/// message with no unsend seen and past its deadline is `lost(expired)`, not `unsent`.
@Suite struct GoneContentTests {
    @Test func a410IsAnUnsendOnlyAfterAnUnsendEventOrBeforeTheDeadline() {
        let deadline = Instant(milliseconds: 1_000_000)
        let before = Instant(milliseconds: 999_999), after = Instant(milliseconds: 1_000_000)
        #expect(GoneContent.transition(unsendSeen: true, deadline: deadline, now: before) == .unsent)
        #expect(GoneContent.transition(unsendSeen: true, deadline: deadline, now: after) == .unsent)
        #expect(GoneContent.transition(unsendSeen: false, deadline: deadline, now: before) == .unsent)
        #expect(GoneContent.transition(unsendSeen: false, deadline: deadline, now: after) == .lost(.expired))
    }

    /// The simulator answers 404 or 410 for content past its window; either way it is expiry,
    /// and every unsent message stays unsent.
    @Test(arguments: [404, 410])
    func expiredContentIsLostAsExpiredWhateverLINEAnswers(status: Int) async throws {
        let h = try await SweepHarness.start(messages: 80, transcodeFailureRate: 0, expiredStatus: status, seed: 17)
        // An unsend LINE knows of but whose webhook never arrived: 410 inside the window is an unsend.
        let now = SystemClock().now().milliseconds
        let missed = SimulatedMessage(id: "missed-unsend", kind: .image, chatType: .user, chatId: "U1", userId: "U1",
                                      timestamp: now - 3_600_000, size: 900)
        await h.simulator.state.register([missed])
        await h.simulator.state.unsend(id: missed.id, at: now - 60_000)
        let ledger = try Ledger.opened(path: h.ledgerPath, policy: .lineDefaults, create: false)
        _ = try Capturer(ledger: ledger, clock: SystemClock()).capture([Webhook.body([
            Webhook.media(missed.id, type: "image", eventId: "e-missed", at: missed.timestamp),
        ])])

        let report = try await h.sweeper().run(SweepOptions())
        let expected = try h.expected(at: await h.simulator.state.now()), actual = try h.actual()
        #expect(expected.values.contains { $0.state == "lost" && $0.reason == "expired" })
        #expect(expected.values.contains { $0.state == "unsent" })
        for (id, want) in expected {
            let got = actual[id]
            #expect(got?.state == want.state && got?.reason == want.reason, "\(id): \(String(describing: got)) vs \(want)")
        }
        #expect(actual[missed.id]?.state == "unsent")
        let stats = await h.simulator.state.stats()
        #expect(stats.count("GET /v2/bot/message/{id}/content", 410) == (status == 410 ? report.lost["expired", default: 0] + 1 : 1))
        await h.simulator.stop()
    }

    /// An unsend the ledger holds wins even past the deadline: a 410 then is the unsend.
    @Test func a410AfterAnUnsendEventStaysUnsentPastTheDeadline() throws {
        let dir = TempDir()
        let ledger = try Ledger.opened(path: dir.file("ledger.sqlite3"), policy: .lineDefaults)
        let sent = SystemClock().now().milliseconds - 20 * 86_400_000
        _ = try Capturer(ledger: ledger, clock: SystemClock()).capture([Webhook.body([
            Webhook.media("gone-1", type: "image", eventId: "e-gone-1", at: sent),
            Webhook.media("gone-2", type: "image", eventId: "e-gone-2", at: sent),
            Webhook.unsend("gone-1", eventId: "e-gone-3", at: sent + 60_000),
        ])])
        // The unsend was applied after a sweep had planned the download (as if still due).
        try ledger.db.run("UPDATE messages SET state = 'content_due' WHERE id = 'gone-1'")
        let now = SystemClock().now()
        #expect(try ledger.contentQueue.markGone(id: "gone-1", at: now) == .unsent)
        #expect(try ledger.contentQueue.markGone(id: "gone-2", at: now) == .lost(.expired))
        #expect(try ledger.contentQueue.markGone(id: "gone-2", at: now) == nil)
        let rows = try ledger.rows("SELECT id, state, reason FROM messages ORDER BY id")
        #expect(rows.map { $0.map(\.value) } == [[.text("gone-1"), .text("unsent"), .null], [.text("gone-2"), .text("lost"), .text("expired")]])
    }

    /// An external host's 410 says nothing of an unsend (only LINE's does): the content is
    /// unavailable, not unsent.
    @Test func aGone410FromAnExternalHostIsExternalUnavailable() async throws {
        let h = try await SweepHarness.start(messages: 1, transcodeFailureRate: 0, seed: 23)
        let now = SystemClock().now().milliseconds
        let hosted = SimulatedMessage(id: "hosted", kind: .image, chatType: .user, chatId: "U1", userId: "U1",
                                      timestamp: now - 60_000, size: 900, external: true)
        await h.simulator.state.register([hosted])
        await h.simulator.state.unsend(id: hosted.id, at: now - 1_000)   // the host answers 410 from now on
        let ledger = try Ledger.opened(path: h.ledgerPath, policy: .lineDefaults, create: false)
        let provider: [String: Any] = ["type": "external", "originalContentUrl": "\(h.simulator.baseURL)/external/content/hosted"]
        _ = try Capturer(ledger: ledger, clock: SystemClock()).capture([Webhook.body([
            Webhook.media(hosted.id, type: "image", eventId: "e-hosted", at: hosted.timestamp, extra: ["contentProvider": provider]),
        ])])
        let report = try await h.sweeper().run(SweepOptions(pack: false))
        #expect(report.lost["external_unavailable"] == 1, "\(report)")
        #expect(report.unsent == 0)
        let row = try ledger.rows("SELECT state, reason FROM messages WHERE id = 'hosted'").first!
        #expect(row.map(\.value) == [.text("lost"), .text("external_unavailable")])
        await h.simulator.stop()
    }
}

