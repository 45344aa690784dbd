import Foundation
@testable import Ledger
import LedgerTestSupport
import Store
import TalkVaultDomain
import Testing
import TestSupport

/// The console's reads: the chat list, conversations a keyset page at a time (purged messages
/// included), `find` newest first and from a cursor, and the week's losses.
@Suite struct LedgerConsoleTests {
    let h = try! LedgerHarness()
    var console: LedgerConsole { h.ledger.consoleStore }
    let now = LedgerHarness.now

    func text(_ id: String, at ms: Int64, user: String = "Ua", group: String? = nil, channel: String = ChannelName.implicit) throws {
        _ = try h.capturer.capture([Webhook.body([Webhook.text(id, "text \(id)", eventId: "e-\(id)", at: ms,
                                                              source: Webhook.source(user: user, group: group))])], channel: channel)
    }

    func ids(_ items: [ConversationItem]) -> [String] {
        items.map { if case .purged = $0 { "purged " + $0.cursor.id } else { $0.cursor.id } }
    }

    /// The chat's ids in the conversation's order, for expectations.
    func sorted(_ times: [String: Int64]) -> [String] {
        times.sorted { $0.value != $1.value ? $0.value < $1.value : $0.key < $1.key }.map(\.key)
    }

    /// Walks the whole conversation with pages of `limit`, from the newest page back, then
    /// forward again, checking the flags of every page.
    func walk(_ chatId: String, limit: Int) throws -> (backward: [String], forward: [String]) {
        var page = try console.conversation(chatId: chatId, at: .newest, limit: limit)
        #expect(!page.hasNewer)
        var backward = ids(page.items)
        // Bounded, so a cursor that does not move fails the test instead of hanging it.
        while page.hasOlder && backward.count < 100 {
            page = try console.conversation(chatId: chatId, at: .before(try #require(page.items.first).cursor), limit: limit)
            #expect(page.hasNewer)
            #expect(page.items.count == limit || !page.hasOlder, "a page short of its limit is the oldest")
            backward = ids(page.items) + backward
        }
        var forward = ids(page.items)
        while page.hasNewer && forward.count < 100 {
            page = try console.conversation(chatId: chatId, at: .after(try #require(page.items.last).cursor), limit: limit)
            #expect(page.hasOlder)
            forward += ids(page.items)
        }
        return (backward, forward)
    }

    func plan(_ sql: String) throws -> [String] {
        var plan: [String] = []
        try h.ledger.db.query("EXPLAIN QUERY PLAN " + sql) { plan.append($0.text(3)) }
        return plan
    }

    @Test func chatsComeByTheirNewestMessageAndAreFilteredByNameOrIdWithWildcardsTakenLiterally() throws {
        try text("a1", at: 1_000)
        try text("a2", at: 5_000)
        try text("a3", at: 5_000)
        try text("g1", at: 3_000, user: "Ub", group: "Cg1")
        try text("c1", at: 5_000, user: "Uc", channel: "shop-b")
        for (id, seen) in [("Uempty1", 100), ("Uempty2", 200)] {
            try h.ledger.db.run("INSERT INTO chats(chat_id, chat_type, first_seen_ms, channel) VALUES (?1, 'user', ?2, 'default')",
                                [.text(id), .int(seen)])
        }
        try h.ledger.db.run("UPDATE chats SET name = 'Sales_Team 100%' WHERE chat_id = 'Cg1'")

        let all = try console.chats(nameContaining: nil, limit: 10, offset: 0)
        #expect(all.map(\.chatId) == ["Ua", "Uc", "Cg1", "Uempty2", "Uempty1"], "newest message first, ties by id; empty chats last, newest seen first")
        #expect(all.map(\.messages) == [3, 1, 1, 0, 0])
        #expect(all.map(\.channel) == ["default", "shop-b", "default", "default", "default"])
        #expect(all.map(\.chatType) == ["user", "user", "group", "user", "user"])
        #expect(all.map { $0.lastMessage?.row.id } == ["a3", "c1", "g1", nil, nil], "of two sent the same millisecond, the greater id")
        #expect(try console.chats(nameContaining: "", limit: 10, offset: 0).count == 5)
        #expect(try console.chats(nameContaining: nil, limit: 2, offset: 1).map(\.chatId) == ["Uc", "Cg1"])

        #expect(try console.chats(nameContaining: "sales_t", limit: 10, offset: 0).map(\.chatId) == ["Cg1"], "ASCII case folded")
        #expect(try console.chats(nameContaining: "a_e", limit: 10, offset: 0).isEmpty, "_ is no wildcard")
        #expect(try console.chats(nameContaining: "%", limit: 10, offset: 0).map(\.chatId) == ["Cg1"], "% is no wildcard")
        #expect(try console.chats(nameContaining: "uEMPTY", limit: 10, offset: 0).map(\.chatId) == ["Uempty2", "Uempty1"], "by id")

        // The newest message is built as `find` builds it.
        let last = try #require(try console.chat(id: "Cg1")?.lastMessage)
        var query = FindQuery()
        query.ids = ["g1"]
        var found: [FoundMessage] = []
        try h.ledger.searchStore.find(query) { found.append($0) }
        let expected = try #require(found.first)
        #expect(last.row.chatName == "Sales_Team 100%" && last.row.text == "text g1" && last.row.senderId == "Ub")
        #expect(last.row.eventJSON == expected.row.eventJSON && last.row.sentAt == expected.row.sentAt)
        #expect(last.stagedFile == expected.stagedFile && last.recordSegment == expected.recordSegment && last.readBy == expected.readBy)
        let one = try #require(try console.chat(id: "Ua"))
        #expect(one.messages == 3 && one.lastMessage?.row.id == "a3")
        #expect(try console.chat(id: "Unone") == nil)
    }

    @Test func pagesOfAConversationGoBothWaysWithExactFlagsThroughSendTimeTies() throws {
        // Nine messages, several sent the same millisecond, and another chat's in between.
        let times: [String: Int64] = ["m0": 1_000, "m1": 1_000, "m2": 1_000, "m3": 2_000, "m4": 3_000, "m5": 3_000,
                                      "m6": 4_000, "m7": 5_000, "m8": 5_000]
        for (id, ms) in times { try text(id, at: ms) }
        try text("x1", at: 3_000, user: "Ux")
        let order = sorted(times)

        let newest = try console.conversation(chatId: "Ua", at: .newest, limit: 3)
        #expect(ids(newest.items) == ["m6", "m7", "m8"] && newest.hasOlder && !newest.hasNewer)
        let middle = try console.conversation(chatId: "Ua", at: .before(newest.items[0].cursor), limit: 3)
        #expect(ids(middle.items) == ["m3", "m4", "m5"] && middle.hasOlder && middle.hasNewer)
        let oldest = try console.conversation(chatId: "Ua", at: .before(middle.items[0].cursor), limit: 3)
        #expect(ids(oldest.items) == ["m0", "m1", "m2"] && !oldest.hasOlder && oldest.hasNewer, "exactly a page left: no older")
        let again = try console.conversation(chatId: "Ua", at: .after(middle.items[2].cursor), limit: 3)
        #expect(ids(again.items) == ["m6", "m7", "m8"] && again.hasOlder && !again.hasNewer, "exactly a page left: no newer")
        // A cursor between two messages of the same millisecond.
        let tie = try console.conversation(chatId: "Ua", at: .after(PageCursor(sentAt: Instant(milliseconds: 1_000), id: "m1")), limit: 2)
        #expect(ids(tie.items) == ["m2", "m3"] && tie.hasOlder && tie.hasNewer)

        for limit in [1, 2, 3, 4, 9, 20] {
            let (backward, forward) = try walk("Ua", limit: limit)
            #expect(backward == order, "limit \(limit)")
            #expect(forward == order, "limit \(limit)")
        }
        let whole = try console.conversation(chatId: "Ua", at: .newest, limit: 9)
        #expect(whole.items.count == 9 && !whole.hasOlder && !whole.hasNewer)
        let none = try console.conversation(chatId: "Unone", at: .newest, limit: 5)
        #expect(none.items.isEmpty && !none.hasOlder && !none.hasNewer)
    }

    @Test func aroundAMessageAThirdOfThePageComesBeforeIt() throws {
        var times: [String: Int64] = [:]
        for n in 0..<30 { times[String(format: "m%02d", n)] = 1_000 + Int64(n / 2) * 1_000 }
        for (id, ms) in times { try text(id, at: ms) }
        try text("x1", at: 3_000, user: "Ux")
        let order = sorted(times)

        let middle = try console.conversation(chatId: "Ua", at: .around(messageId: "m15"), limit: 9)
        #expect(ids(middle.items) == Array(order[12...20]) && middle.hasOlder && middle.hasNewer)
        let start = try console.conversation(chatId: "Ua", at: .around(messageId: "m01"), limit: 9)
        #expect(ids(start.items) == Array(order[0...8]) && !start.hasOlder && start.hasNewer, "the short side leaves its room to the other")
        let end = try console.conversation(chatId: "Ua", at: .around(messageId: "m29"), limit: 9)
        #expect(ids(end.items) == Array(order[21...29]) && end.hasOlder && !end.hasNewer)
        let nearEnd = try console.conversation(chatId: "Ua", at: .around(messageId: "m25"), limit: 9)
        #expect(ids(nearEnd.items) == Array(order[21...29]) && nearEnd.hasOlder && !nearEnd.hasNewer)
        let third = try console.conversation(chatId: "Ua", at: .around(messageId: "m23"), limit: 9)
        #expect(ids(third.items) == Array(order[20...28]) && third.hasOlder && third.hasNewer)
        for unknown in ["x1", "nope"] {
            let page = try console.conversation(chatId: "Ua", at: .around(messageId: unknown), limit: 9)
            #expect(ids(page.items) == Array(order[21...29]) && page.hasOlder && !page.hasNewer, "\(unknown) is not in the chat: the newest page")
        }
    }

    @Test func aPurgedMessageShowsAsItsTombstoneAndOneWhosePurgeIsUnderWayAsTheMessage() throws {
        for (n, id) in ["p1", "p2", "p3", "p4"].enumerated() { try text(id, at: 1_000 * Int64(n + 1)) }
        try text("q1", at: 2_500, user: "Ub")
        let purge = h.ledger.purgeStore
        var candidates: [PurgeCandidate] = []
        try purge.candidates(ids: ["p2", "p3"]) { candidates.append($0) }
        try purge.recordTombstones(candidates.map { Tombstone(candidate: $0, action: .purge, rule: "keep.text", at: now) })
        // p2's purge is done; p3's has its tombstone but not yet its removal.
        try purge.scrub(["p2"])

        let page = try console.conversation(chatId: "Ua", at: .newest, limit: 10)
        #expect(ids(page.items) == ["p1", "purged p2", "p3", "p4"] && !page.hasOlder && !page.hasNewer)
        guard case .purged(let tombstone) = page.items[1] else { Issue.record("p2 is not shown purged"); return }
        #expect(tombstone == (try purge.tombstone(id: "p2")))
        #expect(tombstone.rule == "keep.text" && tombstone.done && tombstone.sentAt == Instant(milliseconds: 2_000))

        let (backward, forward) = try walk("Ua", limit: 1)
        #expect(backward == ["p1", "purged p2", "p3", "p4"] && forward == backward)
        let around = try console.conversation(chatId: "Ua", at: .around(messageId: "p2"), limit: 3)
        #expect(ids(around.items) == ["p1", "purged p2", "p3"] && !around.hasOlder && around.hasNewer)
        #expect(try console.chat(id: "Ua")?.messages == 3, "a purged message is not counted; one being purged still is")
    }

    @Test func findNewestFirstAndAfterPageTheWholeResultInOrder() throws {
        let times: [String: Int64] = ["f0": 1_000, "f1": 1_000, "f2": 2_000, "f3": 2_000, "f4": 2_000, "f5": 3_000, "f6": 4_000]
        for (n, (id, ms)) in times.sorted(by: { $0.key < $1.key }).enumerated() {
            try text(id, at: ms, user: n % 2 == 0 ? "Ua" : "Ub", channel: n == 6 ? "shop-b" : ChannelName.implicit)
        }
        let search = h.ledger.searchStore
        func found(_ query: FindQuery) throws -> [String] {
            var ids: [String] = []
            try search.find(query) { ids.append($0.row.id) }
            return ids
        }
        func paged(_ base: FindQuery, limit: Int) throws -> [String] {
            var query = base
            query.limit = limit
            var all: [String] = []
            var found: [FoundMessage] = []
            repeat {
                found = []
                try search.find(query) { found.append($0) }
                all += found.map(\.row.id)
                query.after = found.last.map { PageCursor(sentAt: $0.row.sentAt, id: $0.row.id) }
            } while found.count == limit && all.count <= times.count   // a cursor that repeats fails, not hangs
            return all
        }
        let order = sorted(times)
        #expect(try found(FindQuery()) == order, "the default is unchanged")
        var newest = FindQuery()
        newest.newestFirst = true
        #expect(try found(newest) == order.reversed())
        for limit in [1, 2, 3, 7] {
            #expect(try paged(FindQuery(), limit: limit) == order, "limit \(limit)")
            #expect(try paged(newest, limit: limit) == order.reversed(), "limit \(limit), newest first")
        }
        var filtered = newest
        filtered.channels = [ChannelName.implicit]
        #expect(try paged(filtered, limit: 2) == order.reversed().filter { $0 != "f6" }, "after a filter")
        var after = FindQuery()
        after.after = PageCursor(sentAt: Instant(milliseconds: 2_000), id: "f3")
        #expect(try found(after) == ["f4", "f5", "f6"])
        after.newestFirst = true
        #expect(try found(after) == ["f2", "f1", "f0"])
        after.limit = 1
        #expect(try search.count(after) == 7, "count takes the whole match")
    }

    /// A common text's newest page is found by walking the messages newest first; it must be
    /// the page the sorting plan gives, for trigram, short and ASCII needles, and from a cursor.
    @Test func aCommonTextsNewestPageIsTheSortedPlansPage() throws {
        for n in 0..<40 {
            let words = ["駐車場はありますか", "予約できますか", "Parking OK?", "駐車場と予約", "Ärger ありがとう"][n % 5]
            _ = try h.capturer.capture([Webhook.body([Webhook.text("c\(n)", "\(words) \(n)", eventId: "e-c\(n)", at: 1_000 * Int64(n % 13),
                                                                  source: Webhook.source(user: "U\(n % 3)"))])], channel: ChannelName.implicit)
        }
        let search = h.ledger.searchStore
        _ = try search.indexLookupBatch { _, text, _, _ in text ?? "" }
        for needle in ["駐車場", "予約", "park", "駐", "ärger"] {
            for (limit, cursor) in [(5, nil), (3, PageCursor(sentAt: Instant(milliseconds: 6_000), id: "c19")), (50, nil)] as [(Int, PageCursor?)] {
                var query = FindQuery()
                query.text = needle
                query.newestFirst = true
                query.limit = limit
                query.after = cursor
                var sorted: [String] = []
                try search.find(query) { sorted.append($0.row.id) }   // few matches: the sorting plan
                let walked = try #require(try search.newestCommonTextPage(query, commonAt: 2), "\(needle) counts as common here")
                #expect(walked == sorted, "\(needle), limit \(limit), after \(String(describing: cursor))")
                #expect(!sorted.isEmpty || cursor != nil, "\(needle) matches")
            }
            var filtered = FindQuery()
            filtered.text = needle
            filtered.newestFirst = true
            filtered.limit = 5
            filtered.user = "U1"
            #expect(try search.newestCommonTextPage(filtered, commonAt: 2) == nil, "another filter keeps the usual plan")
        }
        var capped = FindQuery()
        capped.text = "駐車場"
        #expect(try search.count(capped) == 16 && search.count(capped, atMost: 10) == 11)
    }

    /// A 1:1 chat has no name of its own: it is named, and found, by its customer's display name.
    @Test func aOneToOneChatIsNamedAndFoundByItsCustomersDisplayName() throws {
        try text("n1", at: 1_000, user: "Ucustomer")
        try text("n2", at: 2_000, user: "Uother")
        try h.ledger.db.run("UPDATE profiles SET display_name = '中村 蓮' WHERE user_id = 'Ucustomer' AND chat_id = ''")
        let found = try console.chats(nameContaining: "中村", limit: 10, offset: 0)
        #expect(found.map(\.chatId) == ["Ucustomer"] && found.first?.name == "中村 蓮")
        #expect(try console.chat(id: "Uother")?.name == nil)
    }

    /// The dashboard lists what is at risk per channel: each deadline item names its channel.
    @Test func aDeadlineItemNamesItsChannel() throws {
        _ = try h.capturer.capture([Webhook.body([Webhook.media("img-b", type: "image", eventId: "e-img-b", at: now.milliseconds - 1_000)])],
                                   channel: "shop-b")
        let status = try h.ledger.statusStore.status(now: now, timeZone: TimeZone(identifier: "Asia/Tokyo")!)
        #expect(status.nextDeadlines.map(\.channel) == ["shop-b"] && status.nextDeadlines.first?.messageId == "img-b")
    }

    @Test func lostCountsTakeTheTimeOfTheLossPerChannelAndReason() throws {
        let day: Int64 = 86_400_000
        let base = now.milliseconds
        for (n, id) in ["i1", "i2", "i3", "i4"].enumerated() {
            _ = try h.capturer.capture([Webhook.body([Webhook.media(id, type: "image", eventId: "e-\(id)", at: base - day + Int64(n))])],
                                       channel: id == "i3" ? "shop-b" : ChannelName.implicit)
        }
        try text("b1", at: base - day)
        try text("b2", at: base - day)
        let queue = h.ledger.contentQueue
        #expect(try queue.markLost(id: "i1", reason: .expired, at: Instant(milliseconds: base + day), detail: "404"))
        #expect(try queue.markLost(id: "i2", reason: .notFound, at: Instant(milliseconds: base + 5 * day), detail: "404"))
        #expect(try queue.markLost(id: "i3", reason: .expired, at: Instant(milliseconds: base + 9 * day), detail: "404"))
        // Lost before the week, read in it: the read is no loss.
        _ = try h.ledger.readState.markRead(ids: ["i1"], by: "sato", at: Instant(milliseconds: base + 8 * day))
        // Rows a backup import brought in lost, in the week and before it.
        try h.ledger.db.run("""
            UPDATE messages SET state = 'lost', reason = 'not_captured', captured_at_ms = ?2, updated_at_ms = ?2 WHERE id = ?1
            """, [.text("b1"), .integer(base + 4 * day)])
        try h.ledger.db.run("UPDATE messages SET state = 'lost', reason = 'not_captured' WHERE id = 'b2'")

        let week = try console.lostCounts(since: Instant(milliseconds: base + 3 * day))
        #expect(week == ["default": ["not_found": 1, "not_captured": 1], "shop-b": ["expired": 1]])
        #expect(try console.lostCounts(since: Instant(milliseconds: base + 9 * day)) == ["shop-b": ["expired": 1]], "at or after")
        #expect(try console.lostCounts(since: Instant(milliseconds: base + 10 * day)).isEmpty)
        let all = try console.lostCounts(since: Instant(milliseconds: 0))
        #expect(all == ["default": ["expired": 1, "not_found": 1, "not_captured": 2], "shop-b": ["expired": 1]])
        #expect(try plan(LedgerConsole.lostSQL).contains { $0.contains("messages_lost") }, "the partial index, not every message")
    }

    @Test func everyConsoleQueryIsARangeOfAChatIndex() throws {
        try text("m1", at: 1_000)
        let cursor = PageCursor(sentAt: Instant(milliseconds: 1_000), id: "m1")
        let sides = [LedgerConsole.Side(newer: false), LedgerConsole.Side(newer: false, from: cursor),
                     LedgerConsole.Side(newer: true, from: cursor, inclusive: true)]
        for side in sides {
            let messages = try plan(LedgerConsole.messagesSQL(side))
            #expect(messages.contains { $0.hasPrefix("SEARCH m USING INDEX messages_by_chat_sent (chat_id=?") }, "\(messages)")
            #expect(!messages.contains { $0.hasPrefix("SCAN") }, "\(messages)")
            let tombstones = try plan(LedgerConsole.tombstonesSQL(side))
            #expect(tombstones.contains { $0.hasPrefix("SEARCH t USING COVERING INDEX tombstones_by_chat_sent (chat_id=?") }, "\(tombstones)")
            #expect(!tombstones.contains { $0.hasPrefix("SCAN") }, "\(tombstones)")
        }
        let chats = try plan(LedgerConsole.chatsSQL(where: "1"))
        #expect(chats.contains { $0.contains("messages_by_chat_sent") }, "\(chats)")
    }
}
