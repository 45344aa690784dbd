import Crypto
import Foundation
@testable import JSON
@testable import LINESimulator
import Testing

@Suite struct JSONValueTests {
    @Test func typesSurviveParsing() throws {
        let value = try JSONValue.parse(Data(#"{"t":true,"f":false,"one":1,"zero":0,"big":354718705033693861,"pi":3.25,"s":"x","n":null,"a":[1,"y"]}"#.utf8))
        #expect(value["t"] == .bool(true))
        #expect(value["f"] == .bool(false))
        #expect(value["one"] == .int(1))
        #expect(value["zero"] == .int(0))
        #expect(value["big"] == .int(354_718_705_033_693_861))
        #expect(value["pi"] == .double(3.25))
        #expect(value["n"] == .null)
        #expect(value["a"] == .array([.int(1), .string("y")]))
    }

    @Test func canonicalFormSortsKeysAndEscapesOnlyWhatJSONRequires() throws {
        let value = try JSONValue.parse(Data(#"{"b": 1, "a": {"z": [true, null], "y": "引用\"符\" \\ / \n\t\u0001 😀"}, "B": 2.5}"#.utf8))
        #expect(value.canonicalJSON() == #"{"B":2.5,"a":{"y":"引用\"符\" \\ / \n\t\u0001 😀","z":[true,null]},"b":1}"#)
        // The canonical form parses back to the same value.
        #expect(try JSONValue.parse(Data(value.canonicalJSON().utf8)) == value)
    }

    @Test func equalValuesGiveEqualBytesWhateverTheirLayout() throws {
        let a = try JSONValue.parse(Data(#"{"x": 1, "y": [1, 2], "z": {"k": "v"}}"#.utf8))
        let b = try JSONValue.parse(Data("{\n  \"z\" : {\"k\":\"v\"},\n  \"y\":[1,2], \"x\":1\n}".utf8))
        #expect(a.canonicalJSON() == b.canonicalJSON())
    }

    /// The one-pass form must hash exactly what the canonical JSON of the object without the
    /// member would be, wherever the member sorts: first, between others, last, or absent.
    @Test(arguments: [#"{"a":1,"b":{"c":[2]}}"#, #"{"b":1,"c":2}"#, #"{"a":1,"b":2,"c":3}"#, #"{"x":"y","z":true}"#, #"{"m":1}"#, #"{"b":null}"#, "{}"])
    func onePassHashLeavesOutTheExcludedMember(_ text: String) throws {
        guard case .object(var members) = try JSONValue.parse(Data(text.utf8)) else { Issue.record("not an object"); return }
        let full = JSONValue.object(members).canonicalJSON()
        members["b"] = nil
        let expected = SHA256.hash(data: Data(JSONValue.object(members).canonicalJSON().utf8)).map { String(format: "%02x", $0) }.joined()
        guard case .object(let original) = try JSONValue.parse(Data(text.utf8)) else { return }
        let (json, sha) = JSONValue.canonicalJSON(object: original, hashingWithout: "b")
        #expect(json == full)
        #expect(sha == expected)
    }
}

@Suite struct JSONParserTests {
    func parse(_ text: String) throws(JSONParseError) -> JSONValue { try JSONValue.parse(Data(text.utf8)) }

    @Test(arguments: ["", "{", #"{"a":}"#, "[1,]", #"{"a" 1}"#, "tru", "nul", "01", "1.", "-", "1e", #""abc"#,
                      #""a\u12""#, #""\x""#, "{} {}", "[1 2]", "{'a':1}", "1e999"])
    func rejectsWhatIsNotJSON(_ text: String) {
        #expect(throws: JSONParseError.self) { _ = try parse(text) }
    }

    @Test func rejectsARawControlCharacterInAString() {
        #expect(throws: JSONParseError(offset: 2, problem: "control character in a string")) { _ = try parse("\"a\u{09}b\"") }
    }

    /// Strings are scanned 8 bytes at a time: a special byte must be found at every position
    /// of a word, and multi-byte characters and DEL must not be mistaken for one. A byte put
    /// inside a character breaks its UTF-8, which is refused where the character starts.
    @Test func findsEverySpecialByteWhereverItFallsInAString() throws {
        for length in 0..<20 {
            let plain = String(repeating: "aé\u{7F}", count: length)
            #expect(try parse("\"\(plain)\"") == .string(plain))
            for at in 0...plain.utf8.count {
                let splitsACharacter = at < plain.utf8.count && (0x80...0xBF).contains(Array(plain.utf8)[at])
                let brokenUTF8 = JSONParseError(offset: at, problem: "invalid UTF-8 at byte offset \(at) (JSON text must be UTF-8)")
                var bytes = Array(plain.utf8)
                bytes.insert(0x1F, at: at)
                #expect(throws: splitsACharacter ? brokenUTF8 : JSONParseError(offset: 1 + at, problem: "control character in a string")) {
                    _ = try JSONValue.parse(Data([0x22] + bytes + [0x22]))
                }
                var escaped = Array(plain.utf8)
                escaped.insert(contentsOf: Array(#"\""#.utf8), at: at)
                if splitsACharacter {
                    #expect(throws: brokenUTF8) { _ = try JSONValue.parse(Data([0x22] + escaped + [0x22])) }
                } else {
                    let expected = String(decoding: Array(plain.utf8)[..<at] + [0x22] + Array(plain.utf8)[at...], as: UTF8.self)
                    #expect(try JSONValue.parse(Data([0x22] + escaped + [0x22])) == .string(expected))
                }
                var cut = Array(plain.utf8)
                cut.insert(0x22, at: at)
                if at < plain.utf8.count {
                    #expect(throws: JSONParseError.self, "a quote ends the string early") { _ = try JSONValue.parse(Data([0x22] + cut + [0x22])) }
                }
            }
        }
    }

    @Test func refusesHostileNesting() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect { _ = try parse(deep) } throws: { ($0 as? JSONParseError)?.problem.hasPrefix("nested deeper") == true }
        let fine = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect(throws: Never.self) { _ = try parse(fine) }
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        #expect(try parse(#""\u00e9\u3042\ud83d\ude00\n\/\"""#) == .string("éあ😀\n/\""))
        #expect(try parse(#""lone \ud83d here""#) == .string("lone \u{FFFD} here"))
    }

    @Test func numbersKeepTheirKind() throws {
        #expect(try parse("-0") == .int(0))
        #expect(try parse("9223372036854775807") == .int(.max))
        // Up to 18 digits are read in place, more through the standard library: both edges.
        #expect(try parse("999999999999999999") == .int(999_999_999_999_999_999))
        #expect(try parse("-999999999999999999") == .int(-999_999_999_999_999_999))
        #expect(try parse("1000000000000000000") == .int(1_000_000_000_000_000_000))
        #expect(try parse("-9223372036854775808") == .int(.min))
        #expect(try parse("[0,-1,10,1790000000001]") == .array([.int(0), .int(-1), .int(10), .int(1_790_000_000_001)]))
        #expect(try parse("9223372036854775808") == .double(9_223_372_036_854_775_808))
        #expect(try parse("1e3") == .double(1000))
        #expect(try parse("-2.5E-3") == .double(-0.0025))
    }

    /// Differential check against Foundation's parser over generated documents.
    @Test func agreesWithFoundationOnGeneratedDocuments() throws {
        var rng = SeededGenerator(seed: 42)
        for _ in 0..<500 {
            let document = randomJSON(&rng, depth: 0)
            let data = Data(document.utf8)
            let ours = try JSONValue.parse(data)
            let theirs = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            let reencoded = try JSONSerialization.data(withJSONObject: theirs, options: [.sortedKeys, .fragmentsAllowed])
            // Foundation writes 13601.0 back as 13601, so integral doubles compare as ints.
            #expect(normalized(try JSONValue.parse(reencoded)) == normalized(ours), "\(document)")
        }
    }

    func normalized(_ value: JSONValue) -> JSONValue {
        switch value {
        case .double(let d) where d.rounded() == d && abs(d) < 1e15: return .int(Int64(d))
        case .array(let items): return .array(items.map(normalized))
        case .object(let members): return .object(members.mapValues(normalized))
        default: return value
        }
    }

    func randomJSON(_ rng: inout SeededGenerator, depth: Int) -> String {
        let pick = depth > 3 ? rng.next() % 4 : rng.next() % 6
        switch pick {
        case 0: return ["true", "false", "null"][Int(rng.next() % 3)]
        case 1: return String(Int64(bitPattern: rng.next()) >> Int64(rng.next() % 60))
        case 2: return String(Double(Int64(bitPattern: rng.next()) % 1_000_000) / 64)
        case 3:
            let pool = ["a", "é", "あ", "😀", "\\n", "\\\"", "\\u0041", " ", "/", "\\t"]
            return "\"" + (0..<Int(rng.next() % 6)).map { _ in pool[Int(rng.next() % UInt64(pool.count))] }.joined() + "\""
        case 4:
            return "[" + (0..<Int(rng.next() % 4)).map { _ in randomJSON(&rng, depth: depth + 1) }.joined(separator: ", ") + "]"
        default:
            let members = (0..<Int(rng.next() % 4)).map { i in "\"k\(i)\(rng.next() % 3)\": " + randomJSON(&rng, depth: depth + 1) }
            return "{" + members.joined(separator: ",\n ") + "}"
        }
    }
}
