import Archive
import DurableFile
import Export
import Foundation
import InboxLog
import Packing
import Store
import TalkVaultDomain

/// Where a purge works.
public struct PurgeSettings: Sendable {
    public var dataDir: String
    public var archiveDir: String
    public var exportDir: String
    public var timeZone: TimeZone
    public var segment: SegmentWriter.Settings
    /// The inbox log, and the lowest position the apply and every relay target have passed:
    /// bodies before it are zeroed. Nil leaves the log alone.
    public var inbox: (directory: SegmentDirectory, through: InboxPosition)?

    public init(dataDir: String, archiveDir: String, exportDir: String, timeZone: TimeZone, segment: SegmentWriter.Settings,
                inbox: (directory: SegmentDirectory, through: InboxPosition)? = nil) {
        self.inbox = inbox
        self.dataDir = dataDir
        self.archiveDir = archiveDir
        self.exportDir = exportDir
        self.timeZone = timeZone
        self.segment = segment
    }
}

/// The steps of a purge, so tests can stop one between any two of them.
public enum PurgeStep: Sendable, Equatable {
    /// The tombstones are written: from here the purge is decided and the next run finishes it.
    case decided
    case stagedRemoved
    case exportsRedacted
    case rewrite(RewriteStep)
    case scrubbed
    case inboxScrubbed
    case compacted
    case exportsRemoved
}

/// What a purge (or an erasure) did.
public struct PurgeReport: Sendable, Equatable {
    /// Messages whose every copy is now gone, this run's and those an interrupted run left.
    public var messages = 0
    public var contentBytes: Int64 = 0
    public var rewrites: [RewriteOutcome] = []
    public var stagedRemoved = 0
    public var exportsRemoved: [String] = []
    /// False when readers kept the ledger's WAL from being truncated this time.
    public var walTruncated = true
    /// What the inbox log's scrub did.
    public var inbox = InboxScrub.Report()
    /// Decisions withdrawn because a hold placed since covers them.
    public var withdrawnForHolds = 0
    /// Rows taken out of delivered exports (erasures and unsends).
    public var exports = ExportRedaction()

    public init() {}
}

/// Applies a plan: tombstones first (the decision, durable), then every copy goes: staged
/// downloads, each segment holding a record or content of a decided message (rewritten),
/// the ledger's rows (zeroed in place, the WAL truncated), the search index (a cache, rebuilt
/// by the next `find`), and delivered exports past their keep rule. A run that stops anywhere
/// is finished by the next: decided messages not yet scrubbed are taken up first.
public final class Purger {
    let purge: any PurgeStore
    let index: any ArchiveIndex
    let settings: PurgeSettings
    let disk: any DiskSpace
    /// Delivered exports, whose rows of erased and unsent messages go too; nil leaves them.
    let exportStore: (any ExportStore & ExportRedactionStore)?
    /// Called after each step; a test can throw from it to simulate a crash there.
    public var afterStep: (PurgeStep) throws -> Void = { _ in }

    public init(purge: any PurgeStore, index: any ArchiveIndex, settings: PurgeSettings, disk: any DiskSpace = SystemDiskSpace(),
                exports: (any ExportStore & ExportRedactionStore)? = nil) {
        exportStore = exports
        self.purge = purge
        self.index = index
        self.settings = settings
        self.disk = disk
    }

    /// The plan under `rules` and `holds` at `now`; changes nothing.
    public func plan(rules: KeepRules, holds: [LegalHold], now: Instant) throws -> PurgePlan {
        var plan = PurgePlan()
        plan.ledgerMessages = try purge.messageCount()
        let active = holds.filter(\.isActive)
        try purge.purgeCandidates { message in
            if active.contains(where: { $0.covers(message) }) { plan.heldMessages += 1 }
            guard let decision = PurgePlanner.decision(for: message, rules: rules, now: now) else { return }
            PurgePlanner.add(message, action: decision.action, rule: decision.rule, due: decision.due, holds: holds, now: now, to: &plan)
        }
        // A delivered week that carries a held message is a record the hold keeps too.
        for due in PurgePlanner.exportsDue(try purge.deliveredFiles(), rules: rules, zone: settings.timeZone, now: now) {
            var hold: String?
            try purge.candidates(ids: try purge.exportedMessageIds(week: due.file.week, profile: due.file.profile)) { message in
                if hold == nil { hold = PurgePlanner.hold(covering: message, among: holds)?.name }
            }
            if let hold { plan.exportsHeld.append((due.file, hold)) } else { plan.exports.append(due) }
        }
        return plan
    }

    /// The erasure of `user`'s data: every message they sent or of their 1:1 chat. Holds are
    /// reported in `heldBack`; the caller refuses when there are any.
    public func planErasure(user: String, holds: [LegalHold], now: Instant) throws -> PurgePlan {
        var plan = PurgePlan()
        plan.ledgerMessages = try purge.messageCount()
        try purge.candidates(ofUser: user) { message in
            PurgePlanner.add(message, action: .erase, rule: "erase", due: now, holds: holds, now: now, to: &plan)
        }
        return plan
    }

    /// Carries out `plan` (and whatever an interrupted run left decided). `holds` are read
    /// again just before: a decision a hold placed since then covers is withdrawn (what an
    /// interrupted run already removed of it cannot come back; the rest stays).
    public func execute(_ plan: PurgePlan, holds: [LegalHold], now: Instant) throws -> PurgeReport {
        var report = PurgeReport()
        try purge.recordTombstones(plan.tombstones)
        try afterStep(.decided)
        var pending = try purge.pendingPurges()
        let active = holds.filter(\.isActive)
        if !active.isEmpty && !pending.isEmpty {
            var held: [String] = []
            try purge.candidates(ids: pending.keys.sorted()) { message in
                if active.contains(where: { $0.covers(message) }) { held.append(message.id) }
            }
            try purge.cancelTombstones(held)
            for id in held { pending.removeValue(forKey: id) }
            report.withdrawnForHolds = held.count
        }
        if !pending.isEmpty {
            try removeCopies(pending, now: now, report: &report)
        } else if try purge.compactionOwed() {
            try finish(report: &report)
        }
        for (file, rule) in plan.exports {
            let name = (file.path as NSString).lastPathComponent
            let stem = name.hasSuffix(".csv") ? String(name.dropLast(4)) : name
            let superseded = ExportRedactor.superseded(of: settings.exportDir + "/" + name)
            for path in [settings.exportDir + "/" + name, settings.exportDir + "/" + stem + ".manifest.json"] + superseded where unlink(path) == 0 {
                report.exportsRemoved.append(path)
            }
            try? Durable.syncDirectory(settings.exportDir)
            try purge.markExportPurged(week: file.week, profile: file.profile, rule: rule, at: now)
        }
        try afterStep(.exportsRemoved)
        return report
    }

    private func removeCopies(_ pending: [String: String], now: Instant, report: inout PurgeReport) throws {
        let ids = pending.keys.sorted()
        let dataDir = DataDir(settings.dataDir)
        for staged in try purge.stagedFiles(of: ids) {
            // Only this data dir's own files are deleted; a path elsewhere is just forgotten.
            if let file = dataDir.resolve(staged.file), unlink(file) == 0 { report.stagedRemoved += 1 }
            try index.forgetStagedFile(id: staged.id)
        }
        try afterStep(.stagedRemoved)
        // Before the rewrites: a `line` export's row names the segment that holds the content.
        // A keep rule's purge leaves delivered exports to `keep.exports`; an erasure or an
        // unsend takes the rows out of them too.
        let redactions = pending.filter { !$0.value.hasPrefix("keep.") }
        if let exportStore, !redactions.isEmpty {
            report.exports = try ExportRedactor(store: exportStore, exportDir: settings.exportDir, timeZone: settings.timeZone,
                                                toolVersion: settings.segment.toolVersion).redact(redactions, now: now)
        }
        try afterStep(.exportsRedacted)
        var rewriter = SegmentRewriter(index: index, archiveDir: settings.archiveDir, settings: settings.segment, disk: disk)
        // What `afterStep` throws stops the run at once, as a crash there would.
        struct Stopped: Error { let error: any Error }
        rewriter.afterStep = { [afterStep] step in
            do { try afterStep(.rewrite(step)) } catch { throw Stopped(error: error) }
        }
        let wanted = Set(ids)
        // A segment that cannot be read or rewritten does not keep the others from being
        // cleaned; but then nothing is scrubbed from the ledger (which of the decided messages it
        // holds is unknown), and the error is the run's: the next run, after `verify`, goes on.
        var failure: (any Error)?
        for row in try index.allSegments() {
            do {
                let manifest = try SegmentReader.manifest(segment: row.path, archiveDir: settings.archiveDir)
                let held = try SegmentRewriter.holdings(manifest, of: wanted, archiveDir: settings.archiveDir)
                guard !held.isEmpty else { continue }
                if let outcome = try rewriter.rewrite(row, manifest: manifest, dropping: pending.filter { held.contains($0.key) }, now: now) {
                    report.rewrites.append(outcome)
                }
            } catch let stopped as Stopped {
                throw stopped.error
            } catch {
                failure = failure ?? error
            }
        }
        if let failure { throw failure }
        report.contentBytes = try purge.pendingContentBytes()
        try purge.scrub(ids)
        report.messages = ids.count
        try afterStep(.scrubbed)
        try finish(report: &report)
    }

    /// What follows a scrub, done again by the next run until it completes: applied bodies
    /// off the inbox log, the ledger compacted.
    private func finish(report: inout PurgeReport) throws {
        if let inbox = settings.inbox {
            report.inbox = try InboxScrub.scrub(inbox.directory, through: inbox.through)
        }
        try afterStep(.inboxScrubbed)
        try purge.scrubErasedPeople()
        report.walTruncated = try purge.compact()
        try afterStep(.compacted)
    }
}
