/// What a parse builds. The parser is generic over it so that building `JSONValue`s and only
/// checking a text's shape (a webhook body's, in `LINE`) accept exactly the same texts, with the
/// same errors.
public protocol JSONBuilder {
    associatedtype Value
    /// A decoded string: an object key, or a string value before `string(_:)`.
    associatedtype Text
    associatedtype Members
    associatedtype Items
    static func text(_ utf8: UnsafeRawBufferPointer) -> Text
    static func string(_ text: Text) -> Value
    static func members() -> Members
    static func add(_ value: Value, for key: Text, to members: inout Members)
    static func object(_ members: Members) -> Value
    static func items() -> Items
    static func append(_ value: Value, to items: inout Items)
    static func array(_ items: Items) -> Value
    static func bool(_ value: Bool) -> Value
    static func null() -> Value
    static func int(_ value: Int64) -> Value
    static func double(_ value: Double) -> Value
}

/// A strict RFC 8259 parser. Foundation's parser returns bridged objects whose conversion
/// costs more than the parse; webhook bodies are parsed on the request path, so this one
/// builds its result directly.
/// It is `@inlinable` so that a builder in another module gets a specialized parser: unspecialized,
/// every builder call goes through a witness table, and `serve`'s check of a webhook body costs
/// about a fifth more CPU per request (measured with a 42 KB body).
public struct JSONParser<Builder: JSONBuilder> {
    public typealias Failure = JSONParseError
    public typealias Value = Builder.Value

    /// Nesting deeper than this is refused, so hostile input cannot exhaust the stack.
    @inlinable static var maxDepth: Int { 256 }

    @usableFromInline let bytes: UnsafeRawBufferPointer
    @usableFromInline var index = 0
    @usableFromInline var depth = 0

    @inlinable init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// Parses one JSON text (surrounding whitespace allowed) with `Builder`.
    @inlinable public static func parse(_ bytes: UnsafeRawBufferPointer) throws(Failure) -> Value {
        var parser = JSONParser(bytes)
        parser.skipWhitespace()
        let value = try parser.value()
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw parser.fail("unexpected data after the value") }
        return value
    }

    @inlinable func fail(_ problem: String) -> Failure { Failure(offset: index, problem: problem) }

    @inlinable var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    @inlinable mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    @inlinable mutating func value() throws(Failure) -> Value {
        guard let byte = current else { throw fail("unexpected end of input") }
        switch byte {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return Builder.string(try string())
        case UInt8(ascii: "t"): try literal("true"); return Builder.bool(true)
        case UInt8(ascii: "f"): try literal("false"); return Builder.bool(false)
        case UInt8(ascii: "n"): try literal("null"); return Builder.null()
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw fail("unexpected character")
        }
    }

    @inlinable mutating func literal(_ word: StaticString) throws(Failure) {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw fail("unexpected end of input") }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] {
            throw fail("invalid literal")
        }
        index += count
    }

    @inlinable mutating func enter() throws(Failure) {
        depth += 1
        guard depth <= Self.maxDepth else { throw fail("nested deeper than \(Self.maxDepth) levels") }
    }

    @inlinable mutating func object() throws(Failure) -> Value {
        try enter()
        defer { depth -= 1 }
        index += 1
        var members = Builder.members()
        skipWhitespace()
        if current == UInt8(ascii: "}") { index += 1; return Builder.object(members) }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw fail("expected a string key") }
            let key = try string()
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw fail("expected ':'") }
            index += 1
            skipWhitespace()
            Builder.add(try value(), for: key, to: &members)
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"): index += 1; return Builder.object(members)
            default: throw fail("expected ',' or '}'")
            }
        }
    }

    @inlinable mutating func array() throws(Failure) -> Value {
        try enter()
        defer { depth -= 1 }
        index += 1
        var items = Builder.items()
        skipWhitespace()
        if current == UInt8(ascii: "]") { index += 1; return Builder.array(items) }
        while true {
            skipWhitespace()
            Builder.append(try value(), to: &items)
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"): index += 1; return Builder.array(items)
            default: throw fail("expected ',' or ']'")
            }
        }
    }

    /// Skips 8 bytes at a time while none of them is a quote, a backslash, a control character
    /// or a non-ASCII byte (SWAR: a byte's high bit marks a match); the byte loop does the rest,
    /// and checks the UTF-8 of a non-ASCII character.
    @inlinable mutating func skipPlainBytes() {
        guard let base = bytes.baseAddress else { return }
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        while index + 8 <= bytes.count {
            let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            let quote = word ^ (ones &* 0x22)
            let backslash = word ^ (ones &* 0x5C)
            let special = ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | ((word &- ones &* 0x20) & ~word) | word
            if special & highs != 0 { return }
            index += 8
        }
    }

    /// Steps over one UTF-8 encoded character at `index`, whose first byte is 0x80 or above, or
    /// fails there. JSON text is UTF-8 (RFC 8259 section 8.1): a string holding anything else
    /// is refused rather than rewritten, which would lose its bytes. Well-formed sequences are
    /// those of the Unicode Standard's table 3-7: no overlong forms, no surrogates, nothing
    /// above U+10FFFF.
    @inlinable mutating func skipUTF8Character() throws(Failure) {
        let lead = bytes[index]
        let length: Int
        var low: UInt8 = 0x80, high: UInt8 = 0xBF   // the range of the second byte
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: throw invalidUTF8()
        }
        guard index + length <= bytes.count else { throw invalidUTF8() }
        guard (low...high).contains(bytes[index + 1]) else { throw invalidUTF8() }
        for offset in 2..<max(2, length) where !(0x80...0xBF).contains(bytes[index + offset]) { throw invalidUTF8() }
        index += length
    }

    /// Names the byte offset: a line and column alone are hard to find in a one-line body.
    @inlinable func invalidUTF8() -> Failure { fail("invalid UTF-8 at byte offset \(index) (JSON text must be UTF-8)") }

    @inlinable mutating func string() throws(Failure) -> Builder.Text {
        index += 1 // opening quote
        let start = index
        skipPlainBytes()
        // Fast path: no escapes, so the bytes are the string.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let text = Builder.text(UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
                index += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw fail("control character in a string") }
            if byte >= 0x80 {
                try skipUTF8Character()
                skipPlainBytes()
                continue
            }
            index += 1
        }
        var utf8 = Array(UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return utf8.withUnsafeBytes { Builder.text($0) }
            case UInt8(ascii: "\\"):
                index += 1
                guard let escape = current else { throw fail("unexpected end of input") }
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escape)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"): utf8.append(contentsOf: try unicodeEscape())
                default: throw fail("invalid escape")
                }
            case 0x00..<0x20:
                throw fail("control character in a string")
            case 0x80...:
                let first = index
                try skipUTF8Character()
                utf8.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[first..<index]))
            default:
                utf8.append(byte)
                index += 1
            }
        }
        throw fail("unterminated string")
    }

    /// Reads `XXXX` after `\u` (and a low surrogate after a high one). A lone surrogate
    /// becomes U+FFFD rather than failing the whole body.
    @inlinable mutating func unicodeEscape() throws(Failure) -> [UInt8] {
        let first = try hex4()
        var scalar: Unicode.Scalar?
        if (0xD800..<0xDC00).contains(first), index + 1 < bytes.count,
           bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
            let save = index
            index += 2
            let second = try hex4()
            if (0xDC00..<0xE000).contains(second) {
                scalar = Unicode.Scalar(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))
            } else {
                index = save
            }
        } else {
            scalar = Unicode.Scalar(first)
        }
        return Array(String(Character(scalar ?? "\u{FFFD}")).utf8)
    }

    @inlinable mutating func hex4() throws(Failure) -> UInt32 {
        guard index + 4 <= bytes.count else { throw fail("unexpected end of input") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw fail("invalid \\u escape")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    @inlinable mutating func number() throws(Failure) -> Value {
        let start = index
        var integral = true
        if current == UInt8(ascii: "-") { index += 1 }
        guard let first = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { throw fail("invalid number") }
        if first == UInt8(ascii: "0") {
            index += 1
        } else {
            skipDigits()
        }
        if current == UInt8(ascii: ".") {
            integral = false
            index += 1
            guard skipDigits() > 0 else { throw fail("invalid number") }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            integral = false
            index += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            guard skipDigits() > 0 else { throw fail("invalid number") }
        }
        // Up to 18 digits always fit: read them in place rather than through a String.
        let digits = index - start - (bytes[start] == UInt8(ascii: "-") ? 1 : 0)
        if integral && digits <= 18 {
            var value: Int64 = 0
            for byte in UnsafeRawBufferPointer(rebasing: bytes[(index - digits)..<index]) { value = value * 10 + Int64(byte &- 0x30) }
            return Builder.int(bytes[start] == UInt8(ascii: "-") ? -value : value)
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        if integral, let value = Int64(text) { return Builder.int(value) }
        guard let value = Double(text), value.isFinite else { throw fail("number out of range") }
        return Builder.double(value)
    }

    @discardableResult
    @inlinable mutating func skipDigits() -> Int {
        let start = index
        while let byte = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { index += 1 }
        return index - start
    }
}
