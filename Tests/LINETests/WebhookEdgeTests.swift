import Foundation
import JSON
@testable import LINE
@testable import LINESimulator
import Store
import TalkVaultDomain
import Testing
import LedgerTestSupport
import TestSupport

/// What a webhook event may look like and still be kept: LINE adds event, message and source
/// types without notice, so an unknown one is kept raw as unknown whatever its shape. Only a
/// known type missing what it needs, or with an implausible timestamp, is invalid.
@Suite struct WebhookEventShapeTests {
    let at: Int64 = 1_790_000_000_000

    func payload(_ event: [String: Any]) throws -> CapturedEvent.Payload {
        try #require(try WebhookParser.parse(Webhook.body([event])).events.first).payload
    }

    @Test func anUnknownTypeWithoutATimestampIsUnknown() throws {
        #expect(try payload(["type": "UNKNOWN", "webhookEventId": "u1"]) == .unknownType)
        #expect(try payload(["type": "hologramSent", "timestamp": "soon", "source": ["type": "nebula"]]) == .unknownType)
    }

    @Test func aMessageFromAnUnknownSourceTypeIsUnknown() throws {
        let hologram = Webhook.event("message", id: "u2", at: at, source: ["type": "channel", "channelId": "X1"],
                                     extra: ["message": ["id": "m1", "type": "hologram"]])
        #expect(try payload(hologram) == .unknownType)
        let text = Webhook.event("message", id: "u3", at: at, source: ["type": "square", "squareChatId": "S1"],
                                 extra: ["message": ["id": "m2", "type": "text", "text": "hi"]])
        #expect(try payload(text) == .unknownType)
        var noTimestamp = hologram
        noTimestamp["timestamp"] = nil
        #expect(try payload(noTimestamp) == .unknownType)
    }

    @Test func aKnownTypeMissingWhatItNeedsIsStillInvalid() throws {
        let message: [String: Any] = ["id": "m1", "type": "text", "text": "hi"]
        #expect(try payload(Webhook.event("message", id: "i1", at: at, source: ["type": "user"], extra: ["message": message]))
                == .invalid(reason: "message event without a usable source"))
        var noSource = Webhook.event("message", id: "i2", at: at, extra: ["message": message])
        noSource["source"] = nil
        #expect(try payload(noSource) == .invalid(reason: "message event without a usable source"))
        var follow = Webhook.event("follow", id: "i3", at: at)
        follow["timestamp"] = nil
        #expect(try payload(follow) == .invalid(reason: "missing timestamp"))
        #expect(try payload(["webhookEventId": "i4", "timestamp": at]) == .invalid(reason: "event without a type"))
    }

    @Test(arguments: [Int64.max, 9_223_372_036_854_000_000, 7_258_118_400_000, -1, Int64.min])
    func anImplausibleTimestampIsKeptRawAsInvalid(_ ms: Int64) throws {
        let event = try #require(try WebhookParser.parse(Webhook.body([Webhook.text("m1", "hi", eventId: "e1", at: ms)])).events.first)
        #expect(event.payload == .invalid(reason: "timestamp outside 1970 to 2200"))
        #expect(event.timestamp == Instant(milliseconds: 0), "an unusable timestamp is not stored as a time")
        #expect(event.rawJSON.contains("\"timestamp\":\(ms)"), "kept raw as sent")
        let unknown = try #require(try WebhookParser.parse(Webhook.body([Webhook.event("hologramSent", id: "h", at: ms)])).events.first)
        #expect(unknown.payload == .unknownType)
    }

    @Test(arguments: [0, 1_000, 7_258_118_399_999] as [Int64])
    func aTimestampInsideTheRangeIsKept(_ ms: Int64) throws {
        let event = try #require(try WebhookParser.parse(Webhook.body([Webhook.text("m1", "hi", eventId: "e1", at: ms)])).events.first)
        guard case .message = event.payload else { Issue.record("\(event.payload)"); return }
        #expect(event.timestamp == Instant(milliseconds: ms))
    }

    @Test func theLedgerCountsThemAsUnknownAndInvalid() throws {
        let harness = try LedgerHarness()
        let counts = try harness.capture(Webhook.body([
            ["type": "UNKNOWN", "webhookEventId": "u1"],
            Webhook.event("message", id: "u2", at: at, source: ["type": "channel", "channelId": "X1"],
                          extra: ["message": ["id": "m1", "type": "hologram"]]),
            Webhook.text("m2", "far future", eventId: "e3", at: 9_223_372_036_854_000_000),
        ]))
        #expect(counts.unknownTypes == 2)
        #expect(counts.invalidEvents == 1)
        #expect(counts.newMessages == 0)
        #expect(try harness.ledger.statusStore.tableCounts()["raw_events"] == 3)
        let status = try harness.status()
        #expect(status.ledger.unknownEvents == 2 && status.ledger.invalidEvents == 1)
    }
}

/// JSON text is UTF-8 (RFC 8259): a body whose strings hold anything else is refused with its
/// position, by the request path's check and the full parse alike, never rewritten to U+FFFD.
@Suite struct WebhookUTF8Tests {
    static let prefix = Array(#"{"events":[{"type":"message","text":"ok "#.utf8)
    static let suffix = Array(#""}]}"#.utf8)

    /// Ill-formed sequences per the Unicode Standard's table 3-7: a lone continuation byte,
    /// overlong forms, a surrogate, beyond U+10FFFF, bytes never used, a cut character.
    @Test(arguments: [[0x80], [0xBF], [0xC0, 0xAF], [0xC1, 0xBF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xF0, 0x8F, 0xBF, 0xBF],
                      [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xFE], [0xFF], [0xE3, 0x81], [0xE3, 0x81, 0x41], [0xC3, 0x22]]
          as [[UInt8]])
    func anIllFormedSequenceIsRefusedWhereItStarts(_ bad: [UInt8]) throws {
        let secret = Array("秘密".utf8)
        for escaped in [false, true] {
            // After an escape the string is copied byte by byte: the slow path checks the same.
            let lead = Self.prefix + secret + (escaped ? Array(#"\n"#.utf8) : [])
            let body = Data(lead + bad + Self.suffix)
            let offset = lead.count
            let column = 1 + String(decoding: lead, as: UTF8.self).unicodeScalars.count
            let expected = WebhookError.malformedJSON(line: 1, column: column,
                                                      problem: "invalid UTF-8 at byte offset \(offset) (JSON text must be UTF-8)")
            #expect(throws: expected) { _ = try WebhookParser.parse(body) }
            #expect(throws: expected) { try WebhookParser.check(body) }
            #expect(!expected.description.contains("秘密"))
        }
    }

    @Test func wellFormedCharactersOfEveryLengthAreKeptExactly() throws {
        // The edges of each length, and text long enough for the 8-byte scan to resume between characters.
        let text = "\u{7F}\u{80}\u{7FF}\u{800}\u{D7FF}\u{E000}\u{FFFD}\u{FFFF}\u{10000}\u{10FFFF} é あ 😀 " + String(repeating: "abcdefgh日本", count: 20)
        let body = Webhook.body([Webhook.text("m1", text, eventId: "e1", at: 1_790_000_000_000)])
        #expect(throws: Never.self) { try WebhookParser.check(body) }
        let event = try #require(try WebhookParser.parse(body).events.first)
        guard case .message(let message) = event.payload else { Issue.record("\(event.payload)"); return }
        #expect(message.text == text)
        #expect(try JSONValue.parse(Data("{\"\u{10FFFF}キー\":1}".utf8))["\u{10FFFF}キー"] == .int(1))
    }

    /// Broken UTF-8 anywhere in a body full of Japanese: check and parse give the same answer.
    @Test func checkAndParseAgreeOnBrokenUTF8() throws {
        let body = Webhook.body((0..<5).map { Webhook.text("m\($0)", "予約の確認です。明日の十時にお伺いします 😀 \($0)", eventId: "e\($0)", at: 1_790_000_000_000) })
        var rng = SeededGenerator(seed: 21)
        var refused = 0
        for _ in 0..<400 {
            var broken = body
            let at = Int(rng.next() % UInt64(broken.count))
            broken[at] = [0x80, 0xBF, 0xC0, 0xC3, 0xE3, 0xED, 0xF4, 0xF5, 0xFF, 0x41][Int(rng.next() % 10)]
            let parsed = Result { () throws(WebhookError) in _ = try WebhookParser.parse(broken) }
            let checked = Result { () throws(WebhookError) in try WebhookParser.check(broken) }
            switch (parsed, checked) {
            case (.success, .success): break
            case (.failure(let a), .failure(let b)):
                #expect(a == b)
                if case .malformedJSON(_, _, let problem) = a, problem.hasPrefix("invalid UTF-8") { refused += 1 }
            default:
                Issue.record("check and parse disagree when byte \(at) is changed")
            }
        }
        #expect(refused > 100, "most changes land in Japanese text and break it")
    }
}

