import InboxLog
import SQLiteDB
import Store
import TalkVaultDomain

/// The relay's state on the SQLite ledger (tables `relay_targets` and `relay_dead`).
public struct LedgerRelay: RelayStore, LedgerPart {
    let ledger: Ledger

    public func relayTargets() throws(LedgerError) -> [RelayTargetState] {
        do {
            var states: [RelayTargetState] = []
            try db.query("""
                SELECT name, position, delivered, refused, dead, retried, failing_since_ms, last_error FROM relay_targets ORDER BY name
                """) { row in
                states.append(RelayTargetState(name: row.text(0), position: InboxPosition(row.text(1)) ?? .start, delivered: row.int(2),
                                               refused: row.int(3), dead: row.int(4), retried: row.int(5),
                                               failingSince: row.optionalInt64(6).map(Instant.init(milliseconds:)),
                                               lastError: row.optionalText(7)))
            }
            return states
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    public func startRelayTarget(_ name: String, at position: InboxPosition, now: Instant) throws(LedgerError) {
        do {
            try db.run("INSERT INTO relay_targets(name, position, updated_at_ms) VALUES (?1, ?2, ?3) ON CONFLICT(name) DO NOTHING",
                       [.text(name), .text(position.description), .integer(now.milliseconds)])
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    public func recordRelay(_ name: String, outcome: RelayOutcome, body: [UInt8], channel: String, receivedAt: Instant,
                            through position: InboxPosition, now: Instant) throws(LedgerError) {
        guard let (column, attempts) = Self.column(outcome) else {
            do {
                try db.run("UPDATE relay_targets SET position = ?2, updated_at_ms = ?3 WHERE name = ?1",
                           [.text(name), .text(position.description), .integer(now.milliseconds)])
            } catch {
                throw LedgerError.wrap(error, path: path)
            }
            return
        }
        try transaction {
            try db.run("""
                UPDATE relay_targets SET position = ?2, \(column) = \(column) + 1, retried = retried + ?3, updated_at_ms = ?4,
                       failing_since_ms = NULL, last_error = NULL
                WHERE name = ?1
                """, [.text(name), .text(position.description), .int(attempts - 1), .integer(now.milliseconds)])
            try keepDead(name, outcome: outcome, body: body, channel: channel, receivedAt: receivedAt, now: now)
        }
    }

    public func noteRelayFailing(_ name: String, since: Instant, reason: String) throws(LedgerError) {
        do {
            try db.run("""
                UPDATE relay_targets SET failing_since_ms = coalesce(failing_since_ms, ?2), last_error = ?3, updated_at_ms = ?2 WHERE name = ?1
                """, [.text(name), .integer(since.milliseconds), .text(reason)])
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    public func recordRetry(_ letter: DeadLetter, outcome: RelayOutcome, now: Instant) throws(LedgerError) {
        // Every try of a dead letter is a try again; the body was counted as refused or dead when
        // it became one, so failing again counts nothing more.
        let attempts = Self.column(outcome)?.1 ?? 0
        try transaction {
            switch outcome {
            case .delivered, .skipped, .passed:
                try db.run("UPDATE relay_targets SET delivered = delivered + ?2, retried = retried + ?3, updated_at_ms = ?4 WHERE name = ?1",
                           [.text(letter.target), .int(outcome.isDelivery ? 1 : 0), .int(attempts), .integer(now.milliseconds)])
                try db.run("DELETE FROM relay_dead WHERE seq = ?1", [.integer(letter.seq)])
            case .refused(let reason, let tries), .dead(let reason, let tries):
                try db.run("UPDATE relay_targets SET retried = retried + ?2, updated_at_ms = ?3 WHERE name = ?1",
                           [.text(letter.target), .int(tries), .integer(now.milliseconds)])
                try db.run("UPDATE relay_dead SET queued = 0, reason = ?2, attempts = attempts + ?3, dead_at_ms = ?4, refused = ?5 WHERE seq = ?1",
                           [.integer(letter.seq), .text(reason), .int(tries), .integer(now.milliseconds),
                            .int(outcome.isRefusal ? 1 : 0)])
            }
        }
    }

    public func deadLetters(target: String?, queuedOnly: Bool, limit: Int) throws(LedgerError) -> [DeadLetter] {
        do {
            var letters: [DeadLetter] = []
            try db.query("""
                SELECT seq, target, received_at_ms, dead_at_ms, reason, attempts, refused, queued, body, channel FROM relay_dead
                WHERE (?1 IS NULL OR target = ?1) AND (?2 = 0 OR queued = 1) ORDER BY seq LIMIT ?3
                """, [target.map { .text($0) } ?? .null, .int(queuedOnly ? 1 : 0), .int(limit)]) { row in
                var letter = DeadLetter(seq: row.int64(0), target: row.text(1), receivedAt: Instant(milliseconds: row.int64(2)),
                                        deadAt: Instant(milliseconds: row.int64(3)), reason: row.text(4), attempts: row.int(5),
                                        refused: row.int(6) != 0, queued: row.int(7) != 0, body: row.blob(8) ?? [])
                letter.channel = row.text(9)
                letters.append(letter)
            }
            return letters
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    public func deadLetterCounts() throws(LedgerError) -> [String: (kept: Int, queued: Int)] {
        do {
            var counts: [String: (kept: Int, queued: Int)] = [:]
            try db.query("SELECT target, count(*), sum(queued) FROM relay_dead GROUP BY target") { counts[$0.text(0)] = ($0.int(1), $0.int(2)) }
            return counts
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    public func queueRetry(target: String, since: Instant?) throws(LedgerError) -> Int {
        do {
            return try db.run("UPDATE relay_dead SET queued = 1 WHERE target = ?1 AND queued = 0 AND received_at_ms >= ?2",
                              [.text(target), .integer(since?.milliseconds ?? .min)])
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    /// Keeps a body the target did not take; the caller holds a transaction.
    private func keepDead(_ name: String, outcome: RelayOutcome, body: [UInt8], channel: String, receivedAt: Instant, now: Instant) throws {
        switch outcome {
        case .delivered, .skipped, .passed: return
        case .refused(let reason, let attempts), .dead(let reason, let attempts):
            try db.run("""
                INSERT INTO relay_dead(target, received_at_ms, dead_at_ms, reason, attempts, refused, body, channel)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                """, [.text(name), .integer(receivedAt.milliseconds), .integer(now.milliseconds), .text(reason), .int(attempts),
                      .int(outcome.isRefusal ? 1 : 0), .blob(body), .text(channel)])
        }
    }

    /// The counter an outcome adds to, and its attempts; nil for a body passed over.
    private static func column(_ outcome: RelayOutcome) -> (String, Int)? {
        switch outcome {
        case .passed: return nil
        case .delivered(let attempts): return ("delivered", attempts)
        case .refused(_, let attempts): return ("refused", attempts)
        case .dead(_, let attempts): return ("dead", attempts)
        case .skipped: return ("dead", 1)
        }
    }
}

extension RelayOutcome {
    var isRefusal: Bool { if case .refused = self { return true } else { return false } }
    var isDelivery: Bool { if case .delivered = self { return true } else { return false } }
}

extension Ledger {
    public var relayStore: LedgerRelay { LedgerRelay(ledger: self) }
}
