/// A span written like `1y`, `14d`, `36h`, `90m`, `30s`, or a sum such as `1d12h`.
/// A year is 365 days and a week 7 days: LINE's windows are approximate, and the safety margin
/// absorbs the difference.
public struct RetentionDuration: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    /// Length in seconds; may be zero or negative, which callers reject where it matters.
    public let seconds: Int64

    public init(seconds: Int64) { self.seconds = seconds }

    /// Seconds per unit letter.
    public static let units: [(Character, Int64)] = [
        ("y", 365 * 86_400), ("w", 7 * 86_400), ("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1),
    ]

    /// Why a duration did not parse.
    public enum ParseError: Error, Equatable, Sendable {
        case empty
        case missingNumber(at: Int)
        case missingUnit(at: Int)
        case unknownUnit(Character)
        case overflow
    }

    /// Parses `text`; a leading `-` is allowed so that a negative window can be named as such.
    public init(parsing text: String) throws(ParseError) {
        let trimmed = text.trimmingWhitespace()
        guard !trimmed.isEmpty else { throw .empty }
        var chars = Array(trimmed)
        var sign: Int64 = 1
        if chars.first == "-" { sign = -1; chars.removeFirst() }
        guard !chars.isEmpty else { throw .missingNumber(at: 1) }
        var total: Int64 = 0
        var index = 0
        while index < chars.count {
            let start = index
            var number: Int64 = 0
            while index < chars.count, let digit = chars[index].wholeNumberValue, chars[index].isASCII {
                let (times, o1) = number.multipliedReportingOverflow(by: 10)
                let (plus, o2) = times.addingReportingOverflow(Int64(digit))
                guard !o1, !o2 else { throw .overflow }
                number = plus
                index += 1
            }
            guard index > start else { throw .missingNumber(at: start + 1) }
            guard index < chars.count else { throw .missingUnit(at: index + 1) }
            guard let unit = Self.units.first(where: { $0.0 == chars[index] })?.1 else {
                throw .unknownUnit(chars[index])
            }
            let (scaled, o3) = number.multipliedReportingOverflow(by: unit)
            let (sum, o4) = total.addingReportingOverflow(scaled)
            guard !o3, !o4 else { throw .overflow }
            total = sum
            index += 1
        }
        seconds = sign * total
    }

    /// Text that parses back to this duration, largest units first.
    public var description: String {
        if seconds == 0 { return "0s" }
        var rest = seconds.magnitude
        var text = seconds < 0 ? "-" : ""
        // Weeks are accepted on input but not printed: "363d" reads better than "51w6d".
        for (letter, unit) in Self.units where letter != "w" && rest >= UInt64(unit) {
            text += "\(rest / UInt64(unit))\(letter)"
            rest %= UInt64(unit)
        }
        return text
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.seconds < rhs.seconds }

    public static func days(_ n: Int64) -> Self { Self(seconds: n * 86_400) }
    public static func hours(_ n: Int64) -> Self { Self(seconds: n * 3_600) }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do { self = try Self(parsing: text) } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "bad duration")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension RetentionDuration.ParseError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .empty: return "empty duration"
        case .missingNumber(let at): return "expected a number at character \(at)"
        case .missingUnit(let at): return "expected a unit (y, w, d, h, m, s) at character \(at)"
        case .unknownUnit(let c): return "unknown unit '\(c)' (use y, w, d, h, m or s)"
        case .overflow: return "duration too large"
        }
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return String(s)
    }
}
