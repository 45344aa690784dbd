import Foundation

/// A point in time in milliseconds since the Unix epoch, the unit LINE uses for `timestamp`.
public struct Instant: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var milliseconds: Int64

    public init(milliseconds: Int64) { self.milliseconds = milliseconds }

    public init(_ date: Date) {
        milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }

    public var date: Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }

    public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.milliseconds < rhs.milliseconds }

    /// This instant moved by `duration` (saturating rather than overflowing).
    public func adding(_ duration: RetentionDuration) -> Instant {
        let (ms, o1) = duration.seconds.multipliedReportingOverflow(by: 1000)
        let (sum, o2) = milliseconds.addingReportingOverflow(ms)
        if o1 || o2 { return Instant(milliseconds: duration.seconds < 0 ? .min : .max) }
        return Instant(milliseconds: sum)
    }

    /// Seconds from `other` to this instant.
    public func seconds(since other: Instant) -> Int64 { (milliseconds - other.milliseconds) / 1000 }

    /// RFC 3339 in UTC, with milliseconds.
    public var description: String { rfc3339(in: TimeZone(identifier: "UTC")!) }

    /// RFC 3339 with the zone's offset, e.g. `2026-11-22T23:10:05.123+09:00`.
    /// Computed with arithmetic, not a formatter: exports call it for every row.
    public func rfc3339(in zone: TimeZone) -> String {
        let offset = zone.secondsFromGMT(for: date)
        let local = milliseconds + Int64(offset) * 1000
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
