import TalkVaultDomain

/// One finished run of a scheduled command: when it ran, how it ended, and a line of figures.
/// What the console's dashboard shows for each of sweep, pack, export, verify and purge.
public struct LastRun: Sendable, Equatable, Codable {
    /// One of `LastRunLog.commands`.
    public var command: String
    public var startedAt: Instant
    public var finishedAt: Instant
    /// `ok`, or `failed (exit N): ` and the first line of the error's message.
    public var outcome: String
    /// One short line of figures (`12 downloaded, 0 lost`), never chat text or file names; nil
    /// when the run failed before it had any.
    public var summary: String?

    public init(command: String, startedAt: Instant, finishedAt: Instant, outcome: String, summary: String? = nil) {
        self.command = command
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.outcome = outcome
        self.summary = summary
    }

    /// The outcome of a run that succeeded.
    public static let ok = "ok"

    /// Whether the run succeeded.
    public var succeeded: Bool { outcome == Self.ok }

    // Times are kept as milliseconds since the Unix epoch (Instant's own unit), as plain numbers.
    enum CodingKeys: String, CodingKey {
        case command, outcome, summary
        case startedAt = "started_at_ms", finishedAt = "finished_at_ms"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        command = try container.decode(String.self, forKey: .command)
        startedAt = Instant(milliseconds: try container.decode(Int64.self, forKey: .startedAt))
        finishedAt = Instant(milliseconds: try container.decode(Int64.self, forKey: .finishedAt))
        outcome = try container.decode(String.self, forKey: .outcome)
        summary = try container.decodeIfPresent(String.self, forKey: .summary)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(command, forKey: .command)
        try container.encode(startedAt.milliseconds, forKey: .startedAt)
        try container.encode(finishedAt.milliseconds, forKey: .finishedAt)
        try container.encode(outcome, forKey: .outcome)
        try container.encodeIfPresent(summary, forKey: .summary)
    }
}
