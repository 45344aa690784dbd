@testable import Archive
import AuditTrail
import Foundation
@testable import Ledger
import LedgerTestSupport
@testable import Packing
import PackingTestSupport
import Store
import TalkVaultDomain
import Testing
import TestSupport

/// The audit log goes into the archives: each pack copies the entries appended since the last,
/// recovery and reindex find where the copies stopped, and a purge's rewrite keeps them.
@Suite struct AuditPackingTests {
    func audit(_ h: PackHarness) -> AuditLog { AuditLog(dataDir: h.base.dir.path) }

    func record(_ h: PackHarness, _ count: Int) throws {
        for n in 0..<count {
            try audit(h).append(.init(action: "show", who: "sato", target: ["mt\(n)"], outcome: "ok"), at: Instant(milliseconds: Int64(n)))
        }
    }

    var logBytes: (PackHarness) -> [UInt8] { { Array(FileManager.default.contents(atPath: AuditLog(dataDir: $0.base.dir.path).path) ?? Data()) } }

    /// The copies in a segment: entry name to bytes, each checked against its manifest entry.
    func copies(_ h: PackHarness, _ segment: String) throws -> [String: [UInt8]] {
        let manifest = try SegmentReader.manifest(segment: segment, archiveDir: h.archiveDir)
        var found: [String: [UInt8]] = [:]
        for entry in manifest.entries where AuditCopies.holds(entry) {
            #expect(entry.messageId == nil && entry.contentType == "application/x-ndjson")
            found[entry.name] = try SegmentReader.bytes(manifest.location(of: entry), archiveDir: h.archiveDir)
        }
        return found
    }

    @Test func eachPackCopiesTheEntriesSinceTheLastIntoItsSegment() throws {
        var h = try PackHarness()
        try h.fill(texts: 10)
        try record(h, 3)
        let first = try h.packer().pack()
        #expect(first.auditEntries == 3 && first.auditProblem == nil)
        let segment = try #require(first.segments.first)
        #expect(try copies(h, segment) == ["audit/audit-1-3.jsonl": logBytes(h)], "the log's lines, byte for byte")
        let mark = try #require(try h.ledger.archiveIndex.auditPackedThrough())
        #expect(mark.seq == 3 && mark.end == UInt64(logBytes(h).count))

        // Entries alone wait for a segment with messages.
        try record(h, 2)
        let later = Instant(milliseconds: LedgerHarness.now.milliseconds + 60_000)
        let idle = try h.packer(at: later).pack()
        #expect(idle.segments.isEmpty && idle.auditEntries == 0)
        try h.fill(texts: 2, prefix: "n", at: 1_790_000_900_000)
        let second = try h.packer(at: later).pack()
        #expect(second.auditEntries == 2)
        let copied = try copies(h, try #require(second.segments.first))
        #expect(copied == ["audit/audit-4-5.jsonl": Array(logBytes(h)[Int(mark.end!)...])])
        #expect(try h.ledger.archiveIndex.auditPackedThrough()?.seq == 5)

        // verify --deep checks the copies like any entry: one flipped byte in one is named.
        let deep = try h.verify(deep: true)
        #expect(deep.ok, "\(deep.problems)")
        #expect(deep.entriesChecked >= 2 * 5 + 2 + 2, "the five content files, messages.jsonl and the copy, in each segment")
        let standardTar = try run(which("tar")!, ["-xzf", h.archiveDir + "/" + segment, "-C", h.base.dir.path, "audit/"])
        #expect(standardTar.status == 0, "\(standardTar.stderr)")
        #expect(FileManager.default.contents(atPath: h.base.dir.file("audit/audit-1-3.jsonl")).map(Array.init) == Array(logBytes(h).prefix(Int(mark.end!))))
    }

    @Test(arguments: [PackStep.written, .published, .indexed])
    func aCrashedPackNeitherLosesNorRepeatsACopy(_ step: PackStep) throws {
        var h = try PackHarness()
        try h.fill(texts: 10)
        try record(h, 3)
        struct Crash: Error {}
        let crashing = h.packer()
        crashing.afterStep = { if $0 == step { throw Crash() } }
        #expect(throws: Crash.self) { _ = try crashing.pack() }
        let next = try h.packer().pack()
        // Published before the crash: recovery indexes the segment and takes its copy's last entry.
        #expect(try h.ledger.archiveIndex.auditPackedThrough()?.seq == 3)
        #expect(next.auditEntries == (step == .written ? 3 : 0))
        var names: [String] = []
        for path in h.segmentPaths() { names += try copies(h, path).keys }
        #expect(names == ["audit/audit-1-3.jsonl"])
        // A recovered mark has no offset: the next copy finds the entry by reading the log.
        try record(h, 1)
        try h.fill(texts: 1, prefix: "n", at: 1_790_000_900_000)
        #expect(try h.packer().pack().auditEntries == 1)
    }

    @Test func reindexFindsWhereTheCopiesStopped() throws {
        var h = try PackHarness()
        try h.fill(texts: 5)
        try record(h, 4)
        _ = try h.packer().pack()
        let fresh = try Ledger.opened(path: h.base.dir.file("rebuilt/ledger.sqlite3"), policy: .lineDefaults)
        _ = try Reindexer(archiveDir: h.archiveDir).run(into: fresh.archiveIndex, now: LedgerHarness.now)
        let mark = try #require(try fresh.archiveIndex.auditPackedThrough())
        let packed = try h.ledger.archiveIndex.auditPackedThrough()
        #expect(mark.seq == 4 && mark.end == nil && mark.hash == packed?.hash)
    }

    @Test func aPurgesRewriteKeepsTheCopies() throws {
        var h = try PackHarness()
        try h.fill(texts: 10)
        try record(h, 3)
        let segment = try #require(try h.packer().pack().segments.first)
        let before = try copies(h, segment)
        let row = try #require(try h.ledger.archiveIndex.allSegments().first)
        let rewriter = SegmentRewriter(index: h.ledger.archiveIndex, archiveDir: h.archiveDir, settings: .init(memberTarget: 32 * 1024, toolVersion: "test"))
        let outcome = try #require(try rewriter.rewrite(row, manifest: try SegmentReader.manifest(segment: row.path, archiveDir: h.archiveDir), dropping: ["mt0": "keep.text", "mi0": "keep.image"], now: LedgerHarness.now))
        #expect(Set(outcome.removed.map(\.messageId)) == ["mi0", "mt0"])
        #expect(!outcome.removed.contains { $0.item.hasPrefix("audit/") })
        #expect(try copies(h, outcome.newPath) == before, "the copy goes across as it was")
        let deep = try h.verify(deep: true, withLedger: false)
        #expect(deep.ok, "\(deep.problems)")
    }
}
