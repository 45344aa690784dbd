import Foundation

/// A point in time in milliseconds since the Unix epoch, the unit LINE uses for `timestamp`.
public struct Instant: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var milliseconds: Int64

    public init(milliseconds: Int64) { self.milliseconds = milliseconds }

    /// The date's instant, saturating at Int64's limits (a date that far out cannot trap).
    public init(_ date: Date) {
        let ms = (date.timeIntervalSince1970 * 1000).rounded(.down)
        if ms.isNaN {
            milliseconds = 0
        } else if ms >= 9_223_372_036_854_775_808.0 {
            milliseconds = .max
        } else if ms < -9_223_372_036_854_775_808.0 {
            milliseconds = .min
        } else {
            milliseconds = Int64(ms)
        }
    }

    /// The instants `rfc3339` writes as they are: 0000-01-01T00:00:00.000 to
    /// 9999-12-31T23:59:59.999 (RFC 3339 has four-digit years). Others are written as the
    /// nearer end of this range.
    public static let formattable: ClosedRange<Int64> = -62_167_219_200_000...253_402_300_799_999

    /// The event timestamps a webhook may carry: from the Unix epoch to the start of 2200
    /// (UTC). LINE's events are all within it; a timestamp outside it is kept raw as invalid.
    public static let plausibleEventTimes: Range<Int64> = 0..<7_258_118_400_000

    public var date: Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }

    public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.milliseconds < rhs.milliseconds }

    /// This instant moved by `duration` (saturating rather than overflowing).
    public func adding(_ duration: RetentionDuration) -> Instant {
        let (ms, o1) = duration.seconds.multipliedReportingOverflow(by: 1000)
        let (sum, o2) = milliseconds.addingReportingOverflow(ms)
        if o1 || o2 { return Instant(milliseconds: duration.seconds < 0 ? .min : .max) }
        return Instant(milliseconds: sum)
    }

    /// Seconds from `other` to this instant (saturating rather than overflowing).
    public func seconds(since other: Instant) -> Int64 {
        let (difference, overflow) = milliseconds.subtractingReportingOverflow(other.milliseconds)
        guard overflow else { return difference / 1000 }
        return milliseconds < other.milliseconds ? Int64.min / 1000 : Int64.max / 1000
    }

    /// This instant moved into `formattable`.
    var clampedToFormattable: Int64 {
        min(max(milliseconds, Self.formattable.lowerBound), Self.formattable.upperBound)
    }

    /// RFC 3339 in UTC, with milliseconds.
    public var description: String { rfc3339(in: TimeZone(identifier: "UTC")!) }

    /// RFC 3339 with the zone's offset, e.g. `2026-11-22T23:10:05.123+09:00`.
    /// Computed with arithmetic, not a formatter: exports call it for every row. An instant
    /// outside `formattable` is written as the nearer end of it, so this never traps.
    public func rfc3339(in zone: TimeZone) -> String {
        let clamped = clampedToFormattable
        let offset = zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(clamped) / 1000))
        // Both terms are far from Int64's limits; the sum is clamped again to keep four-digit years.
        let local = min(max(clamped + Int64(offset) * 1000, Self.formattable.lowerBound), Self.formattable.upperBound)
        let dayMs: Int64 = 86_400_000
        let days = local >= 0 ? local / dayMs : (local - dayMs + 1) / dayMs
        let msOfDay = local - days * dayMs
        let (year, month, day) = Self.civil(fromDays: days)
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
        }
        var text = pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + "T" + pad(msOfDay / 3_600_000, 2) + ":"
        text += pad(msOfDay / 60_000 % 60, 2) + ":" + pad(msOfDay / 1000 % 60, 2) + "." + pad(msOfDay % 1000, 3)
        guard offset != 0 else { return text + "Z" }
        let minutes = abs(offset) / 60
        return text + (offset < 0 ? "-" : "+") + pad(Int64(minutes / 60), 2) + ":" + pad(Int64(minutes % 60), 2)
    }

    /// The instant of a wall-clock time at a fixed UTC offset, or nil for a date or time that
    /// does not exist (2025/02/30, 24:00:00).
    public static func local(year: Int64, month: Int64, day: Int64, hour: Int64, minute: Int64, second: Int64,
                             offsetSeconds: Int64) -> Instant? {
        guard (1...12).contains(month), (0...23).contains(hour), (0...59).contains(minute), (0...59).contains(second),
              (1...9999).contains(year) else { return nil }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let lengths: [Int64] = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard (1...lengths[Int(month - 1)]).contains(day) else { return nil }
        let days = Self.days(fromCivil: year, month, day)
        return Instant(milliseconds: ((days * 86_400 + hour * 3_600 + minute * 60 + second) - offsetSeconds) * 1000)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (the inverse of `civil(fromDays:)`).
    static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Year, month and day of a count of days since 1970-01-01 (proleptic Gregorian).
    static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Parses RFC 3339, with or without fractional seconds.
    public init?(rfc3339 text: String) {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { self.init(date); return }
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { self.init(date); return }
        return nil
    }
}

/// The source of "now". Domain code takes one instead of reading the system clock.
public protocol WallClock: Sendable {
    func now() -> Instant
}

/// The system clock.
public struct SystemClock: WallClock {
    public init() {}
    public func now() -> Instant { Instant(Date()) }
}

/// A clock stopped at one instant, for tests and `TALKVAULT_NOW`.
public struct FixedClock: WallClock {
    public let instant: Instant
    public init(_ instant: Instant) { self.instant = instant }
    public func now() -> Instant { instant }
}
