import Archive
import Foundation
@testable import Ledger
import LedgerTestSupport
@testable import Packing
import PackingTestSupport
@testable import Purging
import Store
import TalkVaultDomain
import Testing
import TestSupport

@Suite struct PurgeTests {
    @Test func aDueMessageLeavesEveryFileUnderTheDataDirAndAHeldOneStays() throws {
        let h = try PurgeHarness()
        #expect(try h.filesHolding("SECRET-old0-edited").count >= 2, "the ledger and the second segment hold it before")
        #expect(try h.filesHolding("SECRET-old0-本文").contains { $0.hasSuffix(".tar.gz") }, "the first segment holds the first version")
        // Bodies kept aside whole: a dead letter holding old2 is dropped, a rejected one loses its bytes.
        let body = Array(#"{"events":[{"message":{"id":"old2","text":"SECRET-old2-本文"}}]}"#.utf8)
        try h.ledger.db.run("""
            INSERT INTO relay_dead(target, received_at_ms, dead_at_ms, reason, attempts, refused, body) VALUES ('crm', 1, 2, 'down', 3, 0, ?1)
            """, [.blob(body)])
        try h.ledger.db.run("INSERT INTO inbox_rejected(received_at_ms, problem, body) VALUES (1, 'bad', ?1)", [.blob(body)])
        let hold = LegalHold(name: "case-1", reason: "dispute", users: ["Uold1"], createdAt: PurgeHarness.now, createdBy: "test")
        let report = try h.purge(holds: [hold])
        #expect(try h.ledger.db.scalar("SELECT count(*) FROM relay_dead") == 0)
        #expect(try h.ledger.db.scalar("SELECT count(*) FROM inbox_rejected WHERE length(body) = 0 AND problem LIKE '%removed by a purge%'") == 1)
        #expect(report.messages == 3, "old0, old2 and old4 are Uold0's; Uold1's are held")
        #expect(report.rewrites.count == 2, "both segments held a version of old0")
        for n in [0, 2, 4] {
            #expect(try h.filesHolding("SECRET-old\(n)-").isEmpty, "message old\(n)'s text is nowhere under the data dir")
            let tombstone = try #require(try h.ledger.purgeStore.tombstone(id: "old\(n)"))
            #expect(tombstone.rule == "keep.text" && tombstone.done && tombstone.kind == .text)
        }
        for n in [1, 3, 5] {
            #expect(try h.filesHolding("SECRET-old\(n)-").contains { $0.hasSuffix(".tar.gz") }, "held: old\(n) stays archived")
            #expect(try h.ledger.purgeStore.tombstone(id: "old\(n)") == nil)
        }
        let verified = try h.pack.verify(deep: true)
        #expect(verified.problems.isEmpty, "\(verified.problems)")
        #expect(h.pack.segmentPaths().allSatisfy { $0.contains(".r1.") }, "\(h.pack.segmentPaths())")
        for path in h.pack.segmentPaths() {
            let removed = try SegmentReader.manifest(segment: path, archiveDir: h.pack.archiveDir).rewrites?.flatMap(\.removed) ?? []
            #expect(!removed.isEmpty && removed.allSatisfy { ["record", "content"].contains($0.item) && $0.rule == "keep.text" })
        }
        // A late edit of a purged message does not bring it back.
        try h.pack.base.capture(Webhook.body([Webhook.edit("old2", "SECRET-old2-again", eventId: "late-edit", at: PurgeHarness.old + 20_000,
                                                         source: Webhook.source(user: "Uold0"))]))
        #expect(try h.ledger.searchStore.detail(id: "old2") == nil)
        #expect(try h.filesHolding("SECRET-old2-again").isEmpty)
        // Restore still reads what stayed, from the rewritten segments.
        let restored = try Restorer(index: h.ledger.archiveIndex, archiveDir: h.pack.archiveDir).restore(id: "mi0", to: h.pack.base.dir.file("out"), force: false)
        #expect(try Data(contentsOf: URL(fileURLWithPath: restored[0].path)) == Data(h.pack.staged["mi0"]!))

        // The chain goes on: the next segment links to the rewritten one, and verify follows both links.
        try h.pack.base.capture(Webhook.body([Webhook.text("late", "後から", eventId: "late-e", at: PurgeHarness.recent + 99)]))
        _ = try h.pack.packer(at: PurgeHarness.now).pack()
        #expect(try h.pack.verify(deep: true).problems.isEmpty)
        #expect(try h.purge(holds: [hold]).messages == 0, "nothing more is due")
    }

    @Test func theFirstDryRunAfterAnUpgradeIsEmpty() throws {
        let h = try PurgeHarness()
        let plan = try h.purger().plan(rules: KeepRules(), holds: [], now: Instant(milliseconds: .max / 2))
        #expect(plan.messages == 0 && plan.byRule.isEmpty && plan.exports.isEmpty)
    }

    @Test func aPlanThatWouldEmptyTheLedgerSaysSo() throws {
        let h = try PurgeHarness()
        let everything = KeepRules(kinds: Dictionary(uniqueKeysWithValues: MessageKind.allCases.map { ($0, KeepDuration.span(.days(1))) }))
        let plan = try h.purger().plan(rules: everything, holds: [], now: Instant(milliseconds: PurgeHarness.recent + 90 * 86_400_000))
        #expect(plan.removesEverything)
        let hold = LegalHold(name: "h", reason: "r", users: ["Uold1"], createdAt: PurgeHarness.now, createdBy: "t")
        let held = try h.purger().plan(rules: everything, holds: [hold], now: Instant(milliseconds: PurgeHarness.recent + 90 * 86_400_000))
        #expect(held.removesEverything, "rules that make everything due are asked about, whatever holds keep")
        #expect(try !h.purger().plan(rules: PurgeHarness.rules, holds: [], now: PurgeHarness.now).removesEverything)
    }

    @Test(arguments: UnsentPolicy.allCases)
    func eachUnsentPolicy(_ policy: UnsentPolicy) throws {
        let h = try PurgeHarness()
        try h.pack.base.capture(Webhook.body([Webhook.unsend("mt1", eventId: "unsend-1", at: PurgeHarness.recent + 50, source: Webhook.source(user: "U1"))]))
        _ = try h.pack.packer(at: PurgeHarness.now).pack()
        let rules = KeepRules(unsent: policy)
        #expect(try !h.filesHolding("こんにちは 1 =SUM").isEmpty)
        let report = try h.purge(rules: rules)
        let tombstone = try h.ledger.purgeStore.tombstone(id: "mt1")
        switch policy {
        case .keep:
            #expect(report.messages == 0 && tombstone == nil)
            #expect(try h.ledger.searchStore.detail(id: "mt1")?.record.state == .unsent, "kept, marked unsent")
        case .redact:
            #expect(tombstone?.action == .redact && tombstone?.rule == "unsent: redact")
            #expect(tombstone?.senderId == "U1" && tombstone?.unsentAt == Instant(milliseconds: PurgeHarness.recent + 50), "the fact, time and sender stay")
        case .delete:
            #expect(tombstone?.action == .purge && tombstone?.rule == "unsent: delete")
        }
        if policy != .keep {
            #expect(try h.ledger.searchStore.detail(id: "mt1") == nil)
            #expect(try h.filesHolding("こんにちは 1 =SUM").isEmpty, "the unsent text is gone")
        }
        if policy != .keep { #expect(try h.pack.verify(deep: true).problems.isEmpty) }
    }

    static let steps: [PurgeStep] = [.decided, .stagedRemoved, .exportsRedacted] + RewriteStep.allCases.map { .rewrite($0) } + [.scrubbed, .inboxScrubbed, .compacted, .exportsRemoved]

    @Test(arguments: steps)
    func aPurgeStoppedAtAnyStepIsFinishedByTheNextRun(_ step: PurgeStep) throws {
        let h = try PurgeHarness()
        struct Crash: Error {}
        var reached = false
        #expect(throws: Crash.self) {
            _ = try h.purge { if $0 == step { reached = true; throw Crash() } }
        }
        #expect(reached)
        // Whatever the crash left, nothing is lost that was not due: every kept item still reads back.
        let report = try h.purge()
        #expect(step == .scrubbed || step == .inboxScrubbed || step == .compacted || step == .exportsRemoved ? report.messages == 0 : report.messages == 6)
        for n in 0..<6 {
            #expect(try h.filesHolding("SECRET-old\(n)-").isEmpty)
            #expect(try h.ledger.purgeStore.tombstone(id: "old\(n)")?.done == true)
        }
        let verified = try h.pack.verify(deep: true)
        #expect(verified.problems.isEmpty, "\(verified.problems)")
        #expect(h.pack.segmentPaths().count == 2, "no leftover file: \(h.pack.segmentPaths())")
        for id in h.pack.staged.keys {
            let content = try #require(try h.ledger.archiveIndex.archivedParts(id: id)?.content)
            #expect(try SegmentReader.bytes(Restorer.location(content.segment, content.item), archiveDir: h.pack.archiveDir) == h.pack.staged[id]!)
        }
    }

    @Test func aHoldPlacedAfterAPurgeWasDecidedWins() throws {
        let h = try PurgeHarness()
        struct Crash: Error {}
        #expect(throws: Crash.self) { _ = try h.purge { if $0 == .decided { throw Crash() } } }
        let hold = LegalHold(name: "late", reason: "dispute", users: ["Uold0"], createdAt: PurgeHarness.now, createdBy: "t")
        let report = try h.purge(holds: [hold])
        #expect(report.withdrawnForHolds == 3 && report.messages == 3)
        for n in [0, 2, 4] { #expect(try !h.filesHolding("SECRET-old\(n)-").isEmpty && h.ledger.purgeStore.tombstone(id: "old\(n)") == nil) }
        for n in [1, 3, 5] { #expect(try h.filesHolding("SECRET-old\(n)-").isEmpty) }
        #expect(try h.pack.verify(deep: true).problems.isEmpty)
    }

    @Test func aSegmentChangedSinceItWasIndexedIsNotRewritten() throws {
        let h = try PurgeHarness()
        let path = h.pack.archiveDir + "/" + h.pack.segmentPaths()[0]
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        try handle.seek(toOffset: 100)
        let byte = try #require(try handle.read(upToCount: 1)).first!
        try handle.seek(toOffset: 100)
        try handle.write(contentsOf: Data([byte ^ 0xFF]))
        try handle.close()
        let changed = h.pack.segmentPaths()[0]
        #expect(throws: RewriteError.modified(segment: changed)) { _ = try h.purge() }
        // The changed one is left as it is for `verify`; the other is cleaned; the ledger keeps
        // every decided message until every segment is done.
        #expect(h.pack.segmentPaths().contains(changed) && h.pack.segmentPaths().count == 2)
        #expect(try h.ledger.purgeStore.pendingPurges().count == 6)
    }

    @Test func aChatBackupsFileIsKeptAsLongAsText() {
        let file = PurgeCandidate(id: "oab-1", kind: .file, chat: ChatRef(type: .user, id: "U1"), senderId: nil, channel: "default",
                                  direction: .incoming, sentAt: Instant(milliseconds: 0), state: .archived, unsentAt: nil, contentBytes: 10,
                                  tags: [], isBackupFile: true)
        let rules = KeepRules(kinds: [.text: .span(.days(3650)), .file: .span(.days(30))])
        #expect(PurgePlanner.decision(for: file, rules: rules, now: Instant(milliseconds: 365 * 86_400_000)) == nil)
        var plain = file
        plain.isBackupFile = false
        #expect(PurgePlanner.decision(for: plain, rules: rules, now: Instant(milliseconds: 365 * 86_400_000))?.rule == "keep.file")
    }

    @Test func aFullDiskLeavesTheOldSegmentAndTheNextRunCompletes() throws {
        let h = try PurgeHarness()
        let before = h.pack.segmentPaths()
        _ = try h.pack.packer(at: PurgeHarness.now).recover()
        let full = h.purger(disk: FakeDisk(available: 1000))
        #expect(throws: RewriteError.self) {
            _ = try full.execute(try full.plan(rules: PurgeHarness.rules, holds: [], now: PurgeHarness.now), holds: [], now: PurgeHarness.now)
        }
        #expect(h.pack.segmentPaths() == before)
        #expect(try h.pack.verify(deep: true).problems.isEmpty, "the old segments are whole and indexed")
        #expect(try h.ledger.purgeStore.pendingPurges().count == 6, "decided, waiting for room")
        #expect(try h.purge().messages == 6)
        #expect(try h.filesHolding("SECRET-old2-").isEmpty)
    }

    @Test func anErasureTakesEverythingOfOnePerson() throws {
        let h = try PurgeHarness()
        let purger = h.purger()
        let plan = try purger.planErasure(user: "Uold1", holds: [], now: PurgeHarness.now)
        #expect(Set(plan.tombstones.map(\.messageId)) == ["old1", "old3", "old5"])
        _ = try purger.execute(plan, holds: [], now: PurgeHarness.now)
        #expect(try h.filesHolding("SECRET-old1-").isEmpty && h.filesHolding("SECRET-old5-").isEmpty)
        #expect(try h.ledger.purgeStore.tombstone(id: "old3")?.action == .erase)
        #expect(try h.ledger.purgeStore.purgeTotals().erasures == 3)
        #expect(try !h.filesHolding("SECRET-old0-").isEmpty, "another person's messages stay")
        let held = try purger.planErasure(user: "Uold0", holds: [LegalHold(name: "case-9", reason: "x", chats: ["Uold0"],
                                                                                         createdAt: PurgeHarness.now, createdBy: "t")], now: PurgeHarness.now)
        #expect(held.heldBack["case-9"]?.messages == 3 && held.tombstones.isEmpty)
    }
}

extension PurgeStep: CustomTestStringConvertible {
    public var testDescription: String { "\(self)" }
}

