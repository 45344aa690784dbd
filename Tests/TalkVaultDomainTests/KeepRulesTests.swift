import TalkVaultDomain
import Testing

/// `KeepRules.rule(...)`: the most specific of channel, chat type and kind decides, unless a tag
/// on the message or its chat keeps it longer.
@Suite struct KeepRulesTests {
    static func years(_ n: Int64) -> KeepDuration { .span(.days(365 * n)) }

    let rules = KeepRules(kinds: [.text: years(7), .image: years(3)],
                          chatTypes: [.group: [.text: years(3)], .room: [.text: .forever]],
                          channels: ["shop": [.text: years(5)]],
                          tags: ["Invoice": years(10), "brief": .span(.days(30)), "archive": .forever])

    func rule(_ kind: MessageKind, _ chat: ChatType, _ channel: String = "default", tags: [String] = []) -> KeepRule {
        rules.rule(kind: kind, chatType: chat, channel: channel, tags: tags)
    }

    @Test func theKindsRuleAppliesWhenNothingMoreSpecificDoes() {
        #expect(rule(.text, .user) == KeepRule(name: "keep.text", duration: Self.years(7)))
        #expect(rule(.image, .group) == KeepRule(name: "keep.image", duration: Self.years(3)))
    }

    @Test func aKindWithoutARuleIsKeptForever() {
        #expect(rule(.video, .user) == KeepRule(name: "keep.video", duration: .forever))
        #expect(KeepRules().rule(kind: .file, chatType: .room, channel: "default", tags: []).duration == .forever)
    }

    @Test func aChatTypesRuleWinsOverTheKinds() {
        #expect(rule(.text, .group) == KeepRule(name: "keep.chat_types.group.text", duration: Self.years(3)))
        #expect(rule(.text, .room) == KeepRule(name: "keep.chat_types.room.text", duration: .forever))
    }

    @Test func aChannelsRuleWinsOverTheChatTypesAndTheKinds() {
        #expect(rule(.text, .group, "shop") == KeepRule(name: "keep.channels.shop.text", duration: Self.years(5)))
        #expect(rule(.text, .user, "shop") == KeepRule(name: "keep.channels.shop.text", duration: Self.years(5)))
        // Another kind in that channel falls back to the chat type's and the kind's rules.
        #expect(rule(.image, .user, "shop") == KeepRule(name: "keep.image", duration: Self.years(3)))
    }

    @Test func aTagWinsOnlyWhenLonger() {
        #expect(rule(.text, .user, tags: ["invoice"]) == KeepRule(name: "keep.tags.invoice", duration: Self.years(10)))
        #expect(rule(.text, .group, "shop", tags: ["INVOICE"]) == KeepRule(name: "keep.tags.invoice", duration: Self.years(10)))
        #expect(rule(.text, .user, tags: ["brief"]) == KeepRule(name: "keep.text", duration: Self.years(7)))
        #expect(rule(.text, .user, tags: ["unknown-tag"]) == KeepRule(name: "keep.text", duration: Self.years(7)))
        // Of several tags the longest wins.
        #expect(rule(.image, .user, tags: ["brief", "invoice"]).name == "keep.tags.invoice")
    }

    @Test func foreverBeatsAnySpan() {
        #expect(KeepDuration.span(.days(365 * 100)) < .forever)
        #expect(!(KeepDuration.forever < .forever))
        #expect(rule(.text, .user, tags: ["invoice", "archive"]) == KeepRule(name: "keep.tags.archive", duration: .forever))
        // A rule that already keeps forever is not replaced by a tag that also does.
        #expect(rule(.text, .room, tags: ["archive"]) == KeepRule(name: "keep.chat_types.room.text", duration: .forever))
        #expect(rule(.video, .user, tags: ["invoice"]) == KeepRule(name: "keep.video", duration: .forever))
    }

    @Test func tagsAreStoredInLowerCase() {
        #expect(rules.tags.keys.sorted() == ["archive", "brief", "invoice"])
    }

    @Test func keepsEverythingOnlyWhenNoSpanIsSet() {
        #expect(KeepRules().keepsEverything)
        #expect(KeepRules(tags: ["invoice": Self.years(1)]).keepsEverything)
        #expect(KeepRules(kinds: [.text: .forever]).keepsEverything)
        #expect(!KeepRules(exports: Self.years(1)).keepsEverything)
        #expect(!KeepRules(channels: ["shop": [.file: Self.years(1)]]).keepsEverything)
        #expect(!rules.keepsEverything)
    }

    @Test func aDueTimeIsTheStartPlusTheSpan() {
        let start = Instant(milliseconds: 0)
        #expect(KeepDuration.forever.due(from: start) == nil)
        #expect(KeepDuration.span(.days(1)).due(from: start) == Instant(milliseconds: 86_400_000))
        #expect(KeepDuration.span(.days(400)).description == "1y35d" && KeepDuration.forever.description == "forever")
    }
}
