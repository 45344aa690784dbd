import Foundation

/// Why text is not JSON. It never quotes the text.
public struct JSONParseError: Error, Equatable, Sendable {
    /// Byte offset where the problem was found.
    public let offset: Int
    public let problem: String

    @usableFromInline init(offset: Int, problem: String) {
        self.offset = offset
        self.problem = problem
    }
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
}

extension JSONValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
}
