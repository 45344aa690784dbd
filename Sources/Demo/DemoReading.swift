import Export
import Foundation
import LINEClient
import Ledger
import Store
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
    /// Each channel's markAsRead client, holding its token.
    let clients: PerChannel<MarkAsReadClient>

    /// Staff read two chats of every three, each up to now; the third is left unread.
    func run(clock: any WallClock) async throws -> Outcome {
        let now = clock.now()
        let stores = try Ledger(path: ledgerPath, policy: policy, access: .readWrite(create: false)).stores
        struct Chat: Hashable, Comparable {
            var id: String, channel: String
            static func < (a: Chat, b: Chat) -> Bool { (a.id, a.channel) < (b.id, b.channel) }
        }
        var chatIds = Set<Chat>()
        try stores.search.find(FindQuery()) { chatIds.insert(Chat(id: $0.row.chatId, channel: $0.row.channel)) }
        let chats = chatIds.sorted()
        var outcome = Outcome()
        outcome.chats = chats.count
        for (index, chat) in chats.enumerated() where index % 3 != 2 {
            let result = try MarkRead.mark(.chat(chat.id, until: now, channel: chat.channel), by: Self.reader, at: now, in: stores.readState)
            outcome.chatsRead += 1
            outcome.messagesRead += result.marked.count
            outcome.receiptsQueued += result.receiptsQueued
        }
        outcome.receipts = try await ReadReceipts.sendPending(from: stores.readState, clients: clients, clock: clock)
        return outcome
    }

    /// The week to suggest exporting: the latest complete week that has read messages (rows) and
    /// unread ones (counted in the manifest), else the latest complete week with rows.
    static func weekToExport(ledgerPath: String, policy: RetentionPolicy, timeZone: TimeZone, now: Instant)
        throws -> (week: ISOWeek, rows: Int, unread: Int)? {
        let stores = try Ledger(path: ledgerPath, policy: policy, access: .readOnly).stores
        var oldest = FindQuery()
        oldest.limit = 1
        var earliest: Instant?
        try stores.search.find(oldest) { earliest = $0.row.sentAt }
        guard let earliest else { return nil }
        // Over both channels: the export writes a file for each.
        func counts(_ week: ISOWeek) throws -> (rows: Int, unread: Int) {
            let (start, end) = week.bounds(in: timeZone)
            var rows = 0, unread = 0
            for channel in DemoChannels.accounts.map(\.name) {
                try stores.exports.weekRows(start: start, end: end, readBy: now, channel: channel, profile: ExportProfile.full.rawValue,
                                            week: week.description) { _ in rows += 1 }
                unread += try stores.exports.unreadCounts(start: start, end: end, readBy: now, channel: channel).values.reduce(0, +)
            }
            return (rows, unread)
        }
        var best: (week: ISOWeek, rows: Int, unread: Int)?
        var week = ISOWeek.lastComplete(before: now, in: timeZone)
        while week.bounds(in: timeZone).end.milliseconds > earliest.milliseconds {
            let (rows, unread) = try counts(week)
            if rows > 0 && unread > 0 { return (week, rows, unread) }
            if rows > 0 && best == nil { best = (week, rows, unread) }
            week = week.previous(in: timeZone)
        }
        return best
    }
}
