import Foundation
import LINEClient
import Ledger
import ReadReceipts
import TalkVaultDomain

/// Staff reading part of the demo's traffic, the way `talkvault mark-read --chat … --until …`
/// does with an access token: the ledger records who read what and when, and LINE is told
/// through its markAsRead API (the simulator's). Without it the weekly export, which holds read
/// messages only, would be empty.
struct DemoReading {
    /// What the staff read, and what LINE heard of it.
    struct Outcome: Sendable {
        var chatsRead = 0
        var chats = 0
        var messagesRead = 0
        /// markAsRead calls queued by the reads, and what the first attempt got.
        var receiptsQueued = 0
        var receipts = ReadReceipts.Outcome()
    }

    /// Who the reads are recorded as.
    static let reader = "demo staff"

    let ledgerPath: String
    let policy: RetentionPolicy
    let client: MarkAsReadClient

    /// Staff read two chats of every three, each up to now; the third is left unread.
    func run(clock: any WallClock) async throws -> Outcome {
        let now = clock.now()
        let ledger = try Ledger(path: ledgerPath, policy: policy, access: .readWrite(create: false))
        let chats = try ledger.rows("SELECT DISTINCT chat_id FROM messages ORDER BY chat_id").compactMap { row -> String? in
            if case .text(let id) = row[0].value { return id }
            return nil
        }
        var outcome = Outcome()
        outcome.chats = chats.count
        for (index, chat) in chats.enumerated() where index % 3 != 2 {
            let result = try MarkRead.mark(.chat(chat, until: now), by: Self.reader, at: now, in: ledger)
            outcome.chatsRead += 1
            outcome.messagesRead += result.marked.count
            outcome.receiptsQueued += result.receiptsQueued
        }
        outcome.receipts = try await ReadReceipts.sendPending(from: ledger, client: client, clock: clock)
        return outcome
    }

    /// The week to suggest exporting: the latest complete week that has read messages (rows) and
    /// unread ones (counted in the manifest), else the latest complete week with rows.
    static func weekToExport(ledgerPath: String, policy: RetentionPolicy, timeZone: TimeZone, now: Instant)
        throws -> (week: ISOWeek, rows: Int, unread: Int)? {
        let ledger = try Ledger(path: ledgerPath, policy: policy, access: .readOnly)
        func count(_ condition: String, _ week: ISOWeek) throws -> Int {
            let (start, end) = week.bounds(in: timeZone)
            let rows = try ledger.rows("""
                SELECT count(*) FROM messages WHERE sent_at_ms >= \(start.milliseconds) AND sent_at_ms < \(end.milliseconds) AND \(condition)
                """)
            if case .integer(let n)? = rows.first?.first?.value { return Int(n) }
            return 0
        }
        guard case .integer(let earliest)? = try ledger.rows("SELECT min(sent_at_ms) FROM messages").first?.first?.value else { return nil }
        var best: (week: ISOWeek, rows: Int, unread: Int)?
        var week = ISOWeek.lastComplete(before: now, in: timeZone)
        while week.bounds(in: timeZone).end.milliseconds > earliest {
            let rows = try count("read_at_ms IS NOT NULL AND read_at_ms <= \(now.milliseconds)", week)
            let unread = try count("(read_at_ms IS NULL OR read_at_ms > \(now.milliseconds))", week)
            if rows > 0 && unread > 0 { return (week, rows, unread) }
            if rows > 0 && best == nil { best = (week, rows, unread) }
            week = week.previous(in: timeZone)
        }
        return best
    }
}
