import Crypto
import Foundation

/// Why text is not JSON. It never quotes the text.
public struct JSONParseError: Error, Equatable, Sendable {
    /// Byte offset where the problem was found.
    public let offset: Int
    public let problem: String
}

/// Any JSON value. Webhook events are parsed into this first, so that fields TalkVault does
/// not know about are kept rather than dropped.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Parses JSON text strictly (RFC 8259); a failure gives the byte offset and the problem.
    public static func parse(_ data: Data) throws(JSONParseError) -> JSONValue {
        // withUnsafeBytes only rethrows untyped errors, so the result is carried out instead.
        let result = data.withUnsafeBytes { bytes in
            Result { () throws(JSONParseError) -> JSONValue in try JSONParser<JSONValue.Builder>.parse(bytes) }
        }
        return try result.get()
    }

    /// Builds `JSONValue`s for the parser.
    enum Builder: JSONBuilder {
        static func text(_ utf8: UnsafeRawBufferPointer) -> String { String(decoding: utf8, as: UTF8.self) }
        static func string(_ text: String) -> JSONValue { .string(text) }
        static func members() -> [String: JSONValue] { [:] }
        static func add(_ value: JSONValue, for key: String, to members: inout [String: JSONValue]) { members[key] = value }
        static func object(_ members: [String: JSONValue]) -> JSONValue { .object(members) }
        static func items() -> [JSONValue] { [] }
        static func append(_ value: JSONValue, to items: inout [JSONValue]) { items.append(value) }
        static func array(_ items: [JSONValue]) -> JSONValue { .array(items) }
        static func bool(_ value: Bool) -> JSONValue { .bool(value) }
        static func null() -> JSONValue { .null }
        static func int(_ value: Int64) -> JSONValue { .int(value) }
        static func double(_ value: Double) -> JSONValue { .double(value) }
    }

    /// The member `key` of an object, or nil.
    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    public var stringValue: String? {
        if case .string(let v) = self { return v }
        return nil
    }

    /// A string, or an integer written as a string (ids sometimes arrive as numbers in old logs).
    public var idValue: String? {
        switch self {
        case .string(let v): return v.isEmpty ? nil : v
        case .int(let v): return String(v)
        default: return nil
        }
    }

    public var int64Value: Int64? {
        switch self {
        case .int(let v): return v
        case .double(let v) where v.rounded() == v && abs(v) < 9e15: return Int64(v)
        default: return nil
        }
    }

    public var boolValue: Bool? {
        if case .bool(let v) = self { return v }
        return nil
    }

    public var objectValue: [String: JSONValue]? {
        if case .object(let v) = self { return v }
        return nil
    }

    /// Canonical JSON: object keys sorted by their UTF-8 bytes, no insignificant whitespace,
    /// only the escapes JSON requires, non-ASCII text left as UTF-8. Equal values always give
    /// equal bytes, which is what fingerprints compare.
    public func canonicalJSON() -> String {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The canonical JSON of an object, and the SHA-256 (hex) of the canonical JSON of the same
    /// object without the member `excluded`, computed in one pass.
    public static func canonicalJSON(object members: [String: JSONValue], hashingWithout excluded: String) -> (json: String, sha256: String) {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        var hasher = SHA256()
        var hashedAny = false
        out.append(UInt8(ascii: "{"))
        hasher.update(data: [UInt8(ascii: "{")])
        let keys = members.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        for (index, key) in keys.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            let start = out.count
            writeString(key, to: &out)
            out.append(UInt8(ascii: ":"))
            members[key]!.write(to: &out)
            guard key != excluded else { continue }
            if hashedAny { hasher.update(data: [UInt8(ascii: ",")]) }
            hashedAny = true
            out.withUnsafeBufferPointer { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer($0)[start...])) }
        }
        out.append(UInt8(ascii: "}"))
        hasher.update(data: [UInt8(ascii: "}")])
        return (String(decoding: out, as: UTF8.self), hex(hasher.finalize()))
    }

    private func write(to out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let v): out.append(contentsOf: (v ? "true" : "false").utf8)
        case .int(let v): out.append(contentsOf: String(v).utf8)
        case .double(let v):
            out.append(contentsOf: (v.isFinite ? String(v) : "null").utf8)
        case .string(let v): Self.writeString(v, to: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                item.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            let keys = members.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for (index, key) in keys.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                Self.writeString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                members[key]!.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private static func writeString(_ string: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Most strings need no escape: copy them whole.
        if !string.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            out.append(contentsOf: string.utf8)
            out.append(UInt8(ascii: "\""))
            return
        }
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x00..<0x20:
                out.append(contentsOf: Array("\\u00".utf8))
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0xF)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Lower-case hex of bytes.
    static func hex<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var out: [UInt8] = []
        for byte in bytes {
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension JSONValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
}
