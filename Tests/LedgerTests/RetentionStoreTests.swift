import Foundation
@testable import Ledger
import LedgerTestSupport
import Store
import TalkVaultDomain
import Testing
import TestSupport

@Suite struct RetentionStoreTests {
    let h = try! LedgerHarness()
    var store: LedgerRetention { h.ledger.retentionStore }
    let now = LedgerHarness.now

    func text(_ id: String, user: String, at ms: Int64, channel: String = ChannelName.implicit) throws {
        _ = try h.capturer.capture([Webhook.body([Webhook.text(id, "x", eventId: "e-\(id)", at: ms, source: Webhook.source(user: user))])],
                                   channel: channel)
    }

    func covered(_ hold: LegalHold) throws -> [String] {
        let (clause, values) = LedgerRetention.covers(hold, alias: "m")
        var ids: [String] = []
        try h.ledger.db.query("SELECT m.id FROM messages m WHERE \(clause) ORDER BY m.id", values) { ids.append($0.text(0)) }
        return ids
    }

    @Test func tagsGoOnChatsAndMessagesOnceAndUnknownIdsAreNamed() throws {
        try text("a1", user: "Ua", at: 1_000)
        try text("b1", user: "Ub", at: 2_000)
        let result = try store.tag("invoice", chats: ["Ua", "Unone"], messages: ["b1", "zz"], by: "sato", at: now)
        #expect(result == TagResult(tagged: 2, unknown: ["Unone", "zz"]))
        #expect(try store.tag("invoice", chats: ["Ua"], messages: [], by: "sato", at: now).tagged == 0, "twice changes nothing")
        var query = FindQuery()
        query.tag = "invoice"
        #expect(try h.ledger.searchStore.count(query) == 2)
        try text("a2", user: "Ua", at: 3_000)
        #expect(try h.ledger.searchStore.count(query) == 3, "a chat's tag covers its later messages")
        #expect(try store.untag("invoice", chats: ["Ua"], messages: []) == 1)
        #expect(try h.ledger.searchStore.count(query) == 1)
    }

    @Test func aHoldCoversItsScopeAndWhatArrivesInItLater() throws {
        try text("a1", user: "Ua", at: 1_000)
        try text("a2", user: "Ua", at: 5_000, channel: "shop-b")
        try text("b1", user: "Ub", at: 2_000)
        let base = LegalHold(name: "case-1", reason: "dispute", createdAt: now, createdBy: "sato")
        var byUser = base
        byUser.users = ["Ua"]
        #expect(try covered(byUser) == ["a1", "a2"])
        var narrowed = byUser
        narrowed.channel = "shop-b"
        #expect(try covered(narrowed) == ["a2"])
        var dated = base
        dated.since = Instant(milliseconds: 1_500)
        dated.until = Instant(milliseconds: 5_000)
        #expect(try covered(dated) == ["b1"], "since inclusive, until exclusive")
        var tagged = base
        tagged.tag = "invoice"
        _ = try store.tag("invoice", chats: ["Ub"], messages: ["a1"], by: "sato", at: now)
        #expect(try covered(tagged) == ["a1", "b1"])
        #expect(try covered(base) == ["a1", "a2", "b1"], "no criteria: everything")
        try text("b2", user: "Ub", at: 9_000)
        #expect(try covered(tagged) == ["a1", "b1", "b2"], "held from the moment it arrives")
        #expect(try store.addHold(tagged) && !store.addHold(tagged))
        #expect(try store.coverage(of: tagged).messages == 3)
    }

    @Test func aReleasedHoldStaysListedWithWhoAndWhy() throws {
        let hold = LegalHold(name: "case-1", reason: "dispute", users: ["Ua"], createdAt: now, createdBy: "sato")
        #expect(try store.addHold(hold))
        let release = LegalHold.Release(at: now, by: "suzuki", reason: "settled")
        #expect(try store.releaseHold(named: "case-1", release: release))
        #expect(try !store.releaseHold(named: "case-1", release: release), "once")
        #expect(try store.holds().map(\.released) == [release])
        #expect(try !store.userExists("Ua"))
        try text("a1", user: "Ua", at: 1_000)
        #expect(try store.userExists("Ua"))
    }
}
