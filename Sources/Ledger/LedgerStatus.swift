import Foundation
import SQLiteDB
import Store
import TalkVaultDomain

extension LedgerStatus {
    /// Messages still to be kept safe. Word for word the WHERE of the partial index
    /// `messages_pending_deadline` (migration v6): SQLite uses a partial index only for a query
    /// that repeats its condition.
    static let pendingStates = "(" + MessageState.pending.map { "state = '\($0.rawValue)'" }.joined(separator: " OR ") + ")"

    /// The operator's view: messages by kind and state, the next deadlines, what is at risk and
    /// what was lost. It depends only on the ledger's contents and `now`.
    public func status(now: Instant, timeZone: TimeZone, deadlineLimit: Int, riskLimit: Int) throws(LedgerError) -> StatusReport {
        do {
            return try buildStatus(now: now, timeZone: timeZone, deadlineLimit: deadlineLimit, riskLimit: riskLimit)
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    private func buildStatus(now: Instant, timeZone: TimeZone, deadlineLimit: Int, riskLimit: Int) throws -> StatusReport {
        var grid: [String: [String: Int]] = [:]
        for kind in MessageKind.allCases {
            grid[kind.rawValue] = Dictionary(uniqueKeysWithValues: MessageState.allCases.map { ($0.rawValue, 0) })
        }
        try db.query("SELECT kind, state, count(*) FROM messages GROUP BY kind, state") { row in
            grid[row.text(0), default: [:]][row.text(1)] = row.int(2)
        }

        let pending = Self.pendingStates
        func items(_ sql: String, _ values: [SQLValue]) throws -> [StatusReport.DeadlineItem] {
            var result: [StatusReport.DeadlineItem] = []
            try db.query(sql, values) { row in
                let deadline = Instant(milliseconds: row.int64(6))
                let state = MessageState(rawValue: row.text(4)) ?? .received
                let risk = policy.risk(state: state, deadline: deadline, now: now) ?? .ok
                result.append(StatusReport.DeadlineItem(
                    messageId: row.text(0), kind: row.text(1), chatType: row.text(2), chatId: row.text(3),
                    state: row.text(4), sentAt: Instant(milliseconds: row.int64(5)).rfc3339(in: timeZone),
                    deadline: deadline.rfc3339(in: timeZone), secondsLeft: deadline.seconds(since: now),
                    risk: risk.rawValue, channel: row.text(7)))
            }
            return result
        }
        let columns = "id, kind, chat_type, chat_id, state, sent_at_ms, deadline_ms, channel"
        let next = try items("SELECT \(columns) FROM messages WHERE \(pending) ORDER BY deadline_ms, id LIMIT ?1",
                             [.int(deadlineLimit)])
        let riskLine = now.adding(policy.safetyMargin).milliseconds
        let (riskCount, overdue) = try db.first(
            "SELECT count(*), coalesce(sum(deadline_ms <= ?2), 0) FROM messages WHERE \(pending) AND deadline_ms <= ?1",
            [.integer(riskLine), .integer(now.milliseconds)]) { ($0.int(0), $0.int(1)) } ?? (0, 0)
        let riskItems = try items("SELECT \(columns) FROM messages WHERE \(pending) AND deadline_ms <= ?1 ORDER BY deadline_ms, id LIMIT ?2",
                                  [.integer(riskLine), .int(riskLimit)])

        var byReason = Dictionary(uniqueKeysWithValues: LossReason.allCases.map { ($0.rawValue, 0) })
        try db.query("SELECT reason, count(*) FROM messages WHERE state = 'lost' GROUP BY reason") { row in
            byReason[row.text(0)] = row.int(1)
        }

        let summary = StatusReport.LedgerSummary(
            path: path,
            messages: Int(try db.scalar("SELECT count(*) FROM messages")),
            chats: Int(try db.scalar("SELECT count(*) FROM chats")),
            events: Int(try db.scalar("SELECT count(*) FROM raw_events")),
            redeliveredEvents: Int(try db.scalar("SELECT count(*) FROM raw_events WHERE redelivered = 1")),
            conflictingEvents: Int(try db.scalar("SELECT count(*) FROM event_conflicts")),
            unknownEvents: Int(try db.scalar("SELECT count(*) FROM raw_events WHERE disposition = 'unknown'")),
            invalidEvents: Int(try db.scalar("SELECT count(*) FROM raw_events WHERE disposition = 'invalid'")),
            pendingUnsends: Int(try db.scalar(
                "SELECT count(*) FROM unsends u WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = u.message_id)")))

        var report = StatusReport(
            generatedAt: now.rfc3339(in: timeZone), timezone: timeZone.identifier, ledger: summary, messages: grid,
            nextDeadlines: next, atRisk: .init(count: riskCount, overdue: overdue, items: riskItems),
            lost: .init(total: byReason.values.reduce(0, +), byReason: byReason,
                        unsent: grid.values.reduce(0) { $0 + ($1[MessageState.unsent.rawValue] ?? 0) }))
        try db.query("""
            SELECT channel, count(*), coalesce(sum(\(pending)), 0), coalesce(sum(\(pending) AND deadline_ms <= ?1), 0),
                   coalesce(sum(\(pending) AND deadline_ms <= ?2), 0), coalesce(sum(state = 'archived'), 0),
                   coalesce(sum(state = 'lost'), 0), coalesce(sum(read_at_ms IS NULL), 0), max(sent_at_ms)
            FROM messages GROUP BY channel ORDER BY channel
            """, [.integer(riskLine), .integer(now.milliseconds)]) { row in
            report.channels.append(StatusReport.ChannelSummary(
                name: row.text(0), messages: row.int(1), pending: row.int(2), atRisk: row.int(3), overdue: row.int(4),
                archived: row.int(5), lost: row.int(6), unread: row.int(7),
                lastMessageAt: row.optionalInt64(8).map { Instant(milliseconds: $0).rfc3339(in: timeZone) }))
        }
        return report
    }
}
