import Foundation

/// An ISO 8601 week (`2026-W47`): Monday 00:00 to the next Monday 00:00 in a given zone.
public struct ISOWeek: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let year: Int
    public let week: Int

    public init?(year: Int, week: Int) {
        guard (1...53).contains(week), ISOWeek.weeks(in: year) >= week else { return nil }
        self.year = year
        self.week = week
    }

    /// Parses `2026-W47`.
    public init?(parsing text: String) {
        let parts = text.split(separator: "-W")
        guard parts.count == 2, parts[0].count == 4, let year = Int(parts[0]), let week = Int(parts[1]), parts[1].count == 2 else { return nil }
        self.init(year: year, week: week)
    }

    public var description: String { String(format: "%04d-W%02d", year, week) }

    public static func < (a: ISOWeek, b: ISOWeek) -> Bool { (a.year, a.week) < (b.year, b.week) }

    static func calendar(_ zone: TimeZone) -> Calendar {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = zone
        return calendar
    }

    /// The instants whose weeks are named: from the second week of year 1 to the second-last
    /// week of 9999 (UTC). An instant outside is taken as the nearer end, so this never traps.
    static let namedRange: ClosedRange<Int64> = -62_134_992_000_000...253_401_609_600_000

    /// The week holding `instant` in `zone`.
    public static func containing(_ instant: Instant, in zone: TimeZone) -> ISOWeek {
        let clamped = min(max(instant.milliseconds, namedRange.lowerBound), namedRange.upperBound)
        let date = Date(timeIntervalSince1970: Double(clamped) / 1000)
        let parts = calendar(zone).dateComponents([.yearForWeekOfYear, .weekOfYear], from: date)
        return ISOWeek(year: parts.yearForWeekOfYear!, week: parts.weekOfYear!)!
    }

    /// The last week that has ended by `now`.
    public static func lastComplete(before now: Instant, in zone: TimeZone) -> ISOWeek {
        containing(now, in: zone).previous(in: zone)
    }

    /// [Monday 00:00, next Monday 00:00) in `zone`.
    public func bounds(in zone: TimeZone) -> (start: Instant, end: Instant) {
        let calendar = Self.calendar(zone)
        let start = calendar.date(from: DateComponents(weekday: 2, weekOfYear: week, yearForWeekOfYear: year))!
        let end = calendar.date(byAdding: .day, value: 7, to: start)!
        return (Instant(start), Instant(end))
    }

    public func previous(in zone: TimeZone) -> ISOWeek {
        ISOWeek.containing(Instant(milliseconds: bounds(in: zone).start.milliseconds - 1), in: zone)
    }

    static func weeks(in year: Int) -> Int {
        // A year has 53 ISO weeks when 28 December falls in week 53.
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let december28 = calendar.date(from: DateComponents(year: year, month: 12, day: 28))!
        return calendar.component(.weekOfYear, from: december28)
    }
}
