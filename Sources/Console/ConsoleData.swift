import Foundation
import Export
import InboxLog
import Intake
import Ledger
import Lookup
import ReadReceipts
import Relay
import Store
import TalkVaultDomain

/// The console's connection to the ledger. Capture never waits for it: the ledger is in WAL
/// mode, so these reads run beside `serve`'s writer and `sweep`; the few writes (read marks,
/// holds, tags, a manager's export) wait on the busy timeout like any other command's. An
/// actor: one connection, one query at a time. Downloads read segments on a connection of their
/// own (see `Downloads.swift`), and the dashboard's status is counted on another (`StatusCache`).
actor ConsoleData {
    let ledger: Ledger

    init(settings: ConsoleSettings) throws(LedgerError) {
        // Read-write without create, and no migration: read marks, holds and tags are the only
        // writes, and a console on a copy of the data dir must not change its schema.
        ledger = try Ledger(path: settings.ledgerPath, policy: settings.policy, access: .readWrite(create: false))
    }

    func lostCounts(since: Instant) throws(LedgerError) -> [String: [String: Int]] { try ledger.consoleStore.lostCounts(since: since) }

    func chats(containing name: String?, limit: Int, offset: Int) throws(LedgerError) -> [ChatSummary] {
        try ledger.consoleStore.chats(nameContaining: name, limit: limit, offset: offset)
    }

    func chat(id: String) throws(LedgerError) -> ChatSummary? { try ledger.consoleStore.chat(id: id) }

    func conversation(chatId: String, at position: ConversationPosition, limit: Int) throws(LedgerError) -> ConversationPage {
        try ledger.consoleStore.conversation(chatId: chatId, at: position, limit: limit)
    }

    /// Up to `query.limit` matches, after the search index has caught up.
    func find(_ query: FindQuery) throws(LedgerError) -> [FoundMessage] {
        var found: [FoundMessage] = []
        try Finder.find(ledger.searchStore, query) { found.append($0) }
        return found
    }

    func detail(id: String) throws(LedgerError) -> MessageDetail? { try ledger.searchStore.detail(id: id) }

    func tombstone(id: String) throws(LedgerError) -> Tombstone? { try ledger.purgeStore.tombstone(id: id) }

    func deliveredWeeks(profile: String) throws(LedgerError) -> [String: DeliveredExport] {
        try ledger.exportStore.deliveredWeeks(profile: profile)
    }

    func holds() throws(LedgerError) -> [LegalHold] { try ledger.retentionStore.holds() }

    /// Each relay target's lag, read from the inbox log as `relay status` reads it.
    func relayLag(configured: [String], now: Instant) throws -> [RelayTargetStatus] {
        try RelayTargetStatus.all(store: ledger.relayStore, directory: SegmentDirectory(ledgerPath: ledger.path), configured: configured, now: now)
    }

    func markRead(ids: [String], by who: String, at now: Instant) throws(LedgerError) -> MarkReadResult {
        try MarkRead.mark(.ids(ids), by: who, at: now, in: ledger.readState)
    }

    func tag(_ tag: String, messages: [String], chats: [String], by who: String, at now: Instant) throws(LedgerError) -> TagResult {
        try ledger.retentionStore.tag(tag, chats: chats, messages: messages, by: who, at: now)
    }

    func tags(message id: String) throws(LedgerError) -> [String] { try ledger.retentionStore.tags(message: id) }
    func tags(chat id: String) throws(LedgerError) -> [String] { try ledger.retentionStore.tags(chat: id) }

    func untag(_ tag: String, messages: [String], chats: [String]) throws(LedgerError) -> Int {
        try ledger.retentionStore.untag(tag, chats: chats, messages: messages)
    }

    func addHold(_ hold: LegalHold) throws(LedgerError) -> Bool { try ledger.retentionStore.addHold(hold) }

    func releaseHold(named name: String, release: LegalHold.Release) throws(LedgerError) -> Bool {
        try ledger.retentionStore.releaseHold(named: name, release: release)
    }

    /// The export of `week` with `settings`, as `talkvault export` makes it: the bodies `serve`
    /// acknowledged and has not applied yet are applied first, so the week is whole.
    func export(_ week: ISOWeek, settings: ExportSettings, now: Instant) throws -> ExportResult {
        try InboxApplier(ledger).applyAll()
        return try Exporter(store: ledger.exportStore, settings: settings).run(week: week, force: nil, forced: false, now: now)
    }
}

extension ConsoleData {
    /// How many messages match `query`, its limit and paging aside, up to `cap` plus one.
    func count(_ query: FindQuery, atMost cap: Int) throws(LedgerError) -> Int { try Finder.count(ledger.searchStore, query, atMost: cap) }
}
