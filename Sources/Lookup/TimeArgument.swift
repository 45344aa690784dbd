import Foundation
import TalkVaultDomain

/// `--since` / `--until` values, read in the configured zone: a month (`2026-10`), a day
/// (`2026-10-03`), a local time (`2026-10-03 14:30`, `2026-10-03T14:30:05`), or an RFC 3339
/// time with its own offset. A bound that names a period covers all of it: `--until 2026-10`
/// ends where November begins, `--since 2026-10-03` starts at midnight.
public enum TimeArgument {
    public enum Edge: Sendable { case start, end }

    /// The instant `text` stands for at `edge`, or nil when it is none of the forms above.
    public static func parse(_ text: String, edge: Edge, in zone: TimeZone) -> Instant? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let instant = Instant(rfc3339: trimmed) { return instant }
        let parts = trimmed.split(whereSeparator: { $0 == "-" || $0 == " " || $0 == "T" || $0 == ":" }).map(String.init)
        guard (2...6).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && Int($0) != nil }) else { return nil }
        let numbers = parts.map { Int($0)! }
        // Shapes: Y-M, Y-M-D, Y-M-D H:M, Y-M-D H:M:S (4 parts would be a bare hour: not accepted).
        guard numbers.count != 4, parts[0].count == 4 else { return nil }
        var components = DateComponents(year: numbers[0], month: numbers[1], day: numbers.count > 2 ? numbers[2] : 1,
                                        hour: numbers.count > 3 ? numbers[3] : 0, minute: numbers.count > 4 ? numbers[4] : 0,
                                        second: numbers.count > 5 ? numbers[5] : 0)
        guard (1...12).contains(numbers[1]), (1...31).contains(components.day!), (0...23).contains(components.hour!),
              (0...59).contains(components.minute!), (0...60).contains(components.second!) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        components.timeZone = zone
        guard let start = calendar.date(from: components),
              calendar.component(.day, from: start) == components.day else { return nil }   // no 31 February
        guard edge == .end else { return Instant(start) }
        let step: Calendar.Component = numbers.count == 2 ? .month : numbers.count == 3 ? .day : numbers.count == 5 ? .minute : .second
        return calendar.date(byAdding: step, value: 1, to: start).map(Instant.init)
    }
}
