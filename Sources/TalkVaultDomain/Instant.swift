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
    public func rfc3339(in zone: TimeZone) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = zone
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
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
