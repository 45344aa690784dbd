import TalkVaultDomain

/// A delivered weekly export.
public struct DeliveredExport: Sendable, Equatable {
    /// The CSV's name in the export dir (an older TalkVault recorded absolute paths; migration 7 keeps their names).
    public var path: String
    public var sha256: String
    public var rows: Int
    /// The keep rule that removed its files (`purge`), if one did.
    public var purgedUnder: String?

    public init(path: String, sha256: String, rows: Int, purgedUnder: String? = nil) {
        self.purgedUnder = purgedUnder
        self.path = path
        self.sha256 = sha256
        self.rows = rows
    }
}

/// The weekly export's queries, and the record of delivered weeks.
public protocol ExportStore {
    /// The week's messages read by `readBy`, oldest first, streamed; those already exported in
    /// another week are left out.
    func weekRows(start: Instant, end: Instant, readBy: Instant, channel: String, profile: String, week: String,
                  _ body: (ExportRow) throws -> Void) throws(LedgerError)
    /// Messages sent before `start`, read by `readBy`, and never exported, oldest first, streamed.
    func lateCandidates(before start: Instant, readBy: Instant, channel: String, profile: String, week: String,
                        _ body: (ExportRow) throws -> Void) throws(LedgerError)
    /// Unread messages of the week, counted per chat.
    func unreadCounts(start: Instant, end: Instant, readBy: Instant, channel: String) throws(LedgerError) -> [String: Int]
    /// The week's lost items: id, kind, reason.
    func lostItems(start: Instant, end: Instant, channel: String) throws(LedgerError) -> [(id: String, kind: String, reason: String)]
    /// Weeks already delivered for `profile`.
    func deliveredWeeks(profile: String) throws(LedgerError) -> [String: DeliveredExport]
    /// Records a delivered week in one transaction: the export, and the week each of its
    /// messages went out in.
    func recordExport(week: String, channel: String, profile: String, start: Instant, end: Instant, readBy: Instant, lateIds: [String],
                      delivered: DeliveredExport, at now: Instant) throws(LedgerError)
    /// The channels that have messages, by name.
    func channelsWithMessages() throws(LedgerError) -> [String]
}

/// How a channel's exports are keyed among the delivered weeks: the profile alone for the
/// implicit channel (as before channels), `profile@channel` for the others.
/// Where a message went out in a delivered export, for taking its row out again.
public struct ExportedCopy: Sendable {
    public var row: ExportRow
    /// `ExportKey.profile`: the profile and channel.
    public var key: String
    public var week: String
    /// The delivered CSV, as recorded.
    public var path: String

    public init(row: ExportRow, key: String, week: String, path: String) {
        self.row = row
        self.key = key
        self.week = week
        self.path = path
    }
}

/// Delivered exports that must lose rows: an erased person's, a message its sender unsent.
public protocol ExportRedactionStore {
    /// The delivered exports that carried messages `ids`, with each message's row as it is now.
    func exportedCopies(of ids: [String]) throws(LedgerError) -> [ExportedCopy]
    /// Records a delivered export's new hash and row count after rows left it.
    func recordRedaction(week: String, key: String, sha256: String, rows: Int) throws(LedgerError)
}

public enum ExportKey {
    public static func profile(_ profile: String, channel: String) -> String {
        channel == ChannelName.implicit ? profile : profile + "@" + channel
    }
}
