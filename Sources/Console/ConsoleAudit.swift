import AuditTrail
import TalkVaultDomain

/// The console's entries in the audit trail: every page that shows content and every download,
/// with the user's name. Written before the content is sent: when the trail cannot be written,
/// the page is refused rather than shown unrecorded.
actor ConsoleAudit {
    private let log: AuditLog
    private let clock: any WallClock

    init(log: AuditLog, clock: any WallClock) {
        self.log = log
        self.clock = clock
    }

    func record(_ action: String, who: String, target: [String], reason: String? = nil, outcome: String = "ok") throws(AuditError) {
        try logEntry(.init(action: "console " + action, who: who, target: target, reason: reason, outcome: outcome))
    }

    /// Throws unless an entry could be written now: a change checks it first, so none is made
    /// that the trail could not record.
    func checkWritable() throws(AuditError) { try log.checkWritable() }

    func logEntry(_ record: AuditLog.Record) throws(AuditError) {
        try log.append(record, at: clock.now())
    }

    /// The newest entries first, `limit` of them, before entry `before` (a seq) when given:
    /// read from the end of the trail, which every page view lengthens.
    func entries(before: Int64?, limit: Int) throws -> (entries: [AuditEntry], more: Bool) {
        try log.newestEntries(before: before, limit: limit)
    }
}

extension ConsoleAudit {
    /// An entry under the CLI's own action name (`mark-read`, `hold add`, …): a change made in
    /// the console reads in the trail as the same change made on the command line.
    func log(_ action: String, who: String, target: [String], reason: String?, outcome: String) throws(AuditError) {
        try logEntry(.init(action: action, who: who, target: target, reason: reason, outcome: outcome))
    }
}
