import HTTPTypes
import TalkVaultDomain
import Testing

/// Tags in the console: shown on a message and a conversation, added and removed by a manager
/// as `tag add` and `tag remove` do, a tag an active hold names kept on.
@Suite struct TagTests {
    @Test func aManagerTagsAndUntagsMessagesAndChatsAndAHeldTagStays() async throws {
        let fixture = try ConsoleFixture()
        try await fixture.test { browser in
            try await browser.signIn("ana")
            let chat = ConsoleFixture.chat
            #expect(try await browser.post("/chats/\(chat)/tags", [("csrf", browser.csrf), ("tag", "invoice")]).location == "/chats/\(chat)")
            #expect(try await browser.post("/messages/m-img/tags", [("csrf", browser.csrf), ("tag", "evidence")]).location == "/messages/m-img")
            #expect(try fixture.ledger.retentionStore.tags(chat: chat) == ["invoice"])
            #expect(try fixture.ledger.retentionStore.tags(message: "m-img") == ["evidence"])
            let page = try await browser.get("/messages/m-img").text
            #expect(page.contains(">evidence<") && page.contains(">invoice<"), "the message's and its chat's tags")
            #expect(try await browser.get("/chats/\(chat)").text.contains(">invoice<"))

            // Removed with its own form; a tag an active hold names is refused (400), and stays.
            let removed = try await browser.post("/messages/m-img/tags", [("csrf", browser.csrf), ("tag", "evidence"), ("action", "remove")])
            #expect(removed.status == .seeOther)
            #expect(try fixture.ledger.retentionStore.tags(message: "m-img").isEmpty)
            #expect(try await browser.post("/messages/m-img/tags", [("csrf", browser.csrf), ("tag", "evidence"), ("action", "remove")]).status
                    == .badRequest, "nothing to remove")
            _ = try fixture.ledger.retentionStore.addHold(LegalHold(name: "audit-2026", reason: "inspection", tag: "invoice",
                                                                     createdAt: fixture.clock.now(), createdBy: "ana"))
            #expect(try await browser.post("/chats/\(chat)/tags", [("csrf", browser.csrf), ("tag", "invoice"), ("action", "remove")]).status
                    == .badRequest)
            #expect(try fixture.ledger.retentionStore.tags(chat: chat) == ["invoice"], "the hold wins")
        }
    }

    @Test func supportSeesTagsButCannotChangeThem() async throws {
        let fixture = try ConsoleFixture()
        _ = try fixture.ledger.retentionStore.tag("invoice", chats: [ConsoleFixture.chat], messages: [], by: "ana", at: fixture.clock.now())
        try await fixture.test { browser in
            try await browser.signIn("sam")
            let page = try await browser.get("/chats/\(ConsoleFixture.chat)").text
            #expect(page.contains(">invoice<") && !page.contains("name=\"action\" value=\"remove\""))
            #expect(try await browser.post("/chats/\(ConsoleFixture.chat)/tags", [("csrf", browser.csrf), ("tag", "x"), ("action", "remove")]).status
                    == .forbidden)
        }
    }
}
