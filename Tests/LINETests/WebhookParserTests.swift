import Foundation
@testable import LINE
@testable import LINESimulator
import TalkVaultDomain
import Testing
import TestSupport

@Suite struct WebhookParserTests {
    @Test func theConformanceFixtureParsesIntoEveryKind() throws {
        let body = try WebhookParser.parse(try Fixtures.uniqueConformanceData())
        #expect(body.destination == "U123")
        #expect(body.events.count == 27)
        var kinds: Set<MessageKind> = []
        for event in body.events {
            if case .message(let message) = event.payload { kinds.insert(message.kind) }
        }
        #expect(kinds == [.text, .image, .video, .audio, .location, .sticker, .file])
        let types = body.events.map(\.type)
        #expect(types.contains("undefined"))
        #expect(body.events.last?.payload == .unknownType)
        #expect(body.events.filter { $0.payload == .other }.count == 14)
        let audio = body.events.compactMap { event -> CapturedMessage? in
            if case .message(let m) = event.payload, m.kind == .audio { return m } else { return nil }
        }.first
        #expect(audio?.contentProvider == "external")
        #expect(audio?.originalContentURL == "https://example.com")
    }

    @Test func sourcesMapToChats() throws {
        let body = try WebhookParser.parse(try Fixtures.conformanceData())
        #expect(body.events[0].chat == ChatRef(type: .user, id: "U206d25c2ea6bd87c17655609a1c37cb8"))
        #expect(body.events[1].chat == ChatRef(type: .room, id: "Ra8dbf4673c4c812cd491258042226c99"))
        #expect(body.events[1].senderId == nil)
        #expect(body.events[14].chat?.type == .group)
        #expect(body.events[14].senderId == "U206d25c2ea6bd87c17655609a1c37cb8")
    }

    @Test func aRedeliveryHasTheSameFingerprintAsTheOriginal() throws {
        let body = try WebhookParser.parse(try Fixtures.conformanceData())
        #expect(body.events[0].isRedelivery == false)
        #expect(body.events[25].isRedelivery == true)
        #expect(body.events[0].fingerprint == body.events[25].fingerprint)
        #expect(body.events[0].rawJSON != body.events[25].rawJSON)
        #expect(body.events[0].fingerprint != body.events[14].fingerprint)
    }

    @Test func malformedJSONIsLocatedButNotQuoted() throws {
        let body = Data("{\n \"events\": [\n  {\"text\": \"秘密\", \"a\": tru}\n ]\n}".utf8)
        #expect(throws: WebhookError.self) { _ = try WebhookParser.parse(body) }
        do { _ = try WebhookParser.parse(body) } catch {
            guard case .malformedJSON(let line, _, _) = error else { Issue.record("wrong error \(error)"); return }
            #expect(line == 3)
            #expect(!error.description.contains("秘密"))
        }
    }

    /// The receiver answers 400 from `check` and parses later, so the two must refuse exactly
    /// the same bodies with the same errors: a body `check` lets through and `parse` refuses
    /// would be acknowledged and then not captured.
    @Test func checkRefusesExactlyWhatParseRefuses() throws {
        var bodies: [Data] = [#"[]"#, #"{}"#, #"1"#, #"{"events":{}}"#, #"{"events":[1]}"#, #"{"events":[{},[]]}"#,
                              #"{"events":[{}],"events":3}"#, #"{"events":3,"events":[{}]}"#, #"{"event":[]}"#,
                              #"{"eventsx":[]}"#, #"{"x":{"events":[]}}"#, #"{"events":[{}]}"#, #"{"events":[{}]} x"#]
            .map { Data($0.utf8) }
        let conformance = try Fixtures.conformanceData()
        for length in stride(from: 0, through: conformance.count, by: 7) { bodies.append(conformance.prefix(length)) }
        var rng = SeededGenerator(seed: 7)
        for _ in 0..<300 {
            var flipped = conformance
            let at = Int(rng.next() % UInt64(flipped.count))
            flipped[at] = [0x22, UInt8(ascii: "}"), UInt8(ascii: ","), 0x5C, 0x01, 0xFF][Int(rng.next() % 6)]
            bodies.append(flipped)
        }
        var refused = 0
        for body in bodies {
            let parsed = Result { () throws(WebhookError) in _ = try WebhookParser.parse(body) }
            let checked = Result { () throws(WebhookError) in try WebhookParser.check(body) }
            switch (parsed, checked) {
            case (.success, .success): break
            case (.failure(let a), .failure(let b)):
                refused += 1
                #expect(a == b)
            default:
                Issue.record("check and parse disagree on \(String(decoding: body.prefix(80), as: UTF8.self))")
            }
        }
        #expect(refused > 100, "the mutations should mostly break the body")
    }
}
