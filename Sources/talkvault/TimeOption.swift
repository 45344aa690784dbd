import Foundation
import Lookup
import TalkVaultDomain

/// Time options, read by Lookup's `TimeArgument` in the configured zone. The zone is known only
/// once the config is loaded, so a text that is no time is a usage error from here, naming the
/// option.
enum TimeOption {
    /// `--since` of a selection (`find`, `restore`): the start of the month, day or minute given.
    static func since(_ text: String, in zone: TimeZone) throws -> Instant {
        try read(text, edge: .start, in: zone, refusal: "--since: cannot read '\(text)' as a time")
    }

    /// `--until` of a selection: a month, day or minute given is included whole.
    static func until(_ text: String, in zone: TimeZone) throws -> Instant {
        try read(text, edge: .end, in: zone, refusal: "--until: cannot read '\(text)' as a time")
    }

    /// `--until` of `sweep` and `mark-read`: an RFC 3339 time, or a date meaning the end of that day.
    static func cutoff(_ text: String, in zone: TimeZone) throws -> Instant {
        try read(text, edge: .end, in: zone, refusal: "--until: '\(text)' is neither an RFC 3339 time nor a date (2026-11-30)")
    }

    private static func read(_ text: String, edge: TimeArgument.Edge, in zone: TimeZone, refusal: String) throws -> Instant {
        guard let instant = TimeArgument.parse(text, edge: edge, in: zone) else { throw Failure(.usage, refusal) }
        return instant
    }
}
