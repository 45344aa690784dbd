import InboxLog
import Store
import TalkVaultDomain

/// One target as `talkvault relay status` shows it.
public struct RelayTargetStatus: Codable, Sendable, Equatable {
    public var name: String
    /// In `relay:` now; a target removed from the config keeps its state and dead letters.
    public var configured: Bool
    /// Its position in the inbox log (`segment:offset`).
    public var position: String
    /// Bodies acknowledged and not yet dealt with, and how long the oldest has waited.
    public var lagBodies: Int
    public var lagSeconds: Double
    public var delivered: Int
    public var refused: Int
    public var dead: Int
    public var retried: Int
    /// The body at the position is failing and being retried.
    public var retrying: Bool
    public var failingSince: String?
    public var lastError: String?
    /// Dead letters kept (refused or past `max_age`), and how many `relay retry` queued.
    public var deadLetters: Int
    public var queued: Int

    enum CodingKeys: String, CodingKey {
        case name, configured, position, delivered, refused, dead, retried, retrying, queued
        case lagBodies = "lag_bodies", lagSeconds = "lag_seconds", failingSince = "failing_since", lastError = "last_error"
        case deadLetters = "dead_letters"
    }
}

extension RelayTargetStatus {
    /// Every target the config names or the ledger remembers, with its lag read from the log.
    public static func all(store: any RelayStore, directory: SegmentDirectory, configured: [String],
                           now: Instant) throws -> [RelayTargetStatus] {
        let states = try store.relayTargets()
        let letters = try store.deadLetterCounts()
        var result: [RelayTargetStatus] = []
        for name in Set(configured).union(states.map(\.name)).sorted() {
            let state = states.first { $0.name == name }
            let lag = try state.map { try InboxLogReader(directory: directory, from: $0.position).backlog() } ?? InboxBacklog()
            result.append(RelayTargetStatus(
                name: name, configured: configured.contains(name), position: state?.position.description ?? "not started",
                lagBodies: lag.bodies, lagSeconds: lag.oldest.map { Double(max(0, now.milliseconds - $0.milliseconds)) / 1_000 } ?? 0,
                delivered: state?.delivered ?? 0, refused: state?.refused ?? 0, dead: state?.dead ?? 0, retried: state?.retried ?? 0,
                retrying: state?.failingSince != nil, failingSince: state?.failingSince?.description, lastError: state?.lastError,
                deadLetters: letters[name]?.kept ?? 0, queued: letters[name]?.queued ?? 0))
        }
        return result
    }
}
