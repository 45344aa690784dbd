import Foundation
@testable import InboxLog
import Intake
@testable import Ledger
import SQLiteDB
import Store
import TalkVaultDomain
import Testing
import LedgerTestSupport
import TestSupport

/// Damage to the inbox log after a kill -9: a zeroed region, a truncated or deleted segment.
/// What can still be read is applied; what cannot is named (`inbox_damage`, `inboxHealth`) with
/// its segment and bytes, never silently passed over.
@Suite struct InboxDamageTests {
    let dir = TempDir()
    var ledgerPath: String { dir.file("ledger.sqlite3") }
    var inbox: SegmentDirectory { SegmentDirectory(ledgerPath: ledgerPath) }

    /// Where each acknowledged message's record lies in the log.
    struct Placed {
        let id: String
        let segment: UInt64
        let start: Int
        let end: Int
    }

    func webhook(_ n: Int) -> Data { Self.webhook(n) }

    static func webhook(_ n: Int) -> Data {
        Webhook.body([Webhook.text("m\(n)", "body \(n) " + String(repeating: "x", count: 300), eventId: "e\(n)",
                                   at: 1_790_000_000_000 + Int64(n))])
    }

    /// Appends `count` bodies, five per append, over 32 KiB segments, then lets go of the log as
    /// a kill -9 would (nothing more is written); returns where each record lies.
    func writeLog(_ count: Int) throws -> [Placed] {
        let ledger = try Ledger.opened(path: ledgerPath, policy: .lineDefaults, applyingInbox: false)
        let log = try InboxLogWriter(directory: InboxApplier(ledger).directory, applied: try ledger.inboxStore.inboxPosition(),
                                     settings: .init(segmentBytes: 32 * 1024, spareSegments: 2))
        for first in stride(from: 0, to: count, by: 5) {
            try log.append((first..<min(first + 5, count)).map(webhook), receivedAt: LedgerHarness.now, autoRead: false)
        }
        log.close()
        let reader = try InboxLogReader(directory: inbox, from: .start)
        var placed: [Placed] = []
        while let record = try reader.next() {
            let id = "m" + String(decoding: record.body, as: UTF8.self).components(separatedBy: "\"id\":\"m")[1].prefix { $0 != "\"" }
            placed.append(Placed(id: id, segment: record.end.segment, start: record.end.offset - 32 - record.body.count, end: record.end.offset))
        }
        #expect(reader.takeFindings().isEmpty, "a log after a kill -9 is not damaged")
        #expect(placed.count == count)
        return placed
    }

    func file(_ segment: UInt64) -> String { inbox.file(segment) }

    func zero(_ segment: UInt64, from: Int, count: Int) throws {
        let handle = try #require(FileHandle(forUpdatingAtPath: file(segment)))
        try handle.seek(toOffset: UInt64(from))
        try handle.write(contentsOf: Data(count: count))
        try handle.close()
    }

    /// Applies the log as a writing command does; returns the ledger and what the apply found.
    func apply() throws -> (Ledger, InboxApplied) {
        let ledger = try Ledger.opened(path: ledgerPath, policy: .lineDefaults, applyingInbox: false)
        let applied = try InboxApplier(ledger).applyAll()
        return (ledger, applied)
    }

    func stored(_ ledger: Ledger, _ placed: [Placed]) throws -> Set<String> {
        Set(try placed.filter { try ledger.searchStore.message(id: $0.id) != nil }.map(\.id))
    }

    @Test func aZeroedRegionIsNamedAndEverythingAroundItIsApplied() throws {
        let placed = try writeLog(200)
        let segments = Set(placed.map(\.segment)).sorted()
        #expect(segments.count >= 3)
        let victim = segments[1]
        let from = 5_000, count = 8_000
        // Health before the apply already sees it, in the part not yet applied.
        try zero(victim, from: from, count: count)
        let before = try InboxApplier(Ledger(path: ledgerPath, policy: .lineDefaults, access: .readOnly)).health()
        #expect(before.damage.map(\.kind) == [.unreadable])

        let (ledger, applied) = try apply()
        #expect(applied.damage.count == 1)
        let damage = try #require(applied.damage.first)
        #expect(damage.kind == .unreadable && damage.segment == victim)
        let lost = placed.filter { $0.segment == victim && $0.end > from && $0.start < from + count }
        #expect(!lost.isEmpty)
        // The gap runs from the first damaged record to the next whole one.
        #expect(damage.offset == lost.first!.start)
        #expect(damage.offset + damage.bytes! == lost.last!.end)
        #expect(try stored(ledger, placed) == Set(placed.map(\.id)).subtracting(lost.map(\.id)),
                "every body outside the damage is applied, and only those")
        let health = try InboxApplier(ledger).health()
        #expect(!health.isHealthy)
        #expect(health.damage == [damage], "recorded once, kept after the segment is gone")
        #expect(health.problems.first?.contains(damage.file) == true)
        #expect(health.problems.first?.contains("\(damage.bytes!) bytes") == true)
        // Applying again finds nothing new and records nothing twice.
        #expect(try InboxApplier(ledger).applyAll().damage.isEmpty)
        #expect(try InboxApplier(ledger).health().damage.count == 1)
    }

    @Test func aZeroedTailOfTheNewestSegmentIsCutShort() throws {
        let placed = try writeLog(60)
        let newest = placed.last!.segment
        let tail = placed.filter { $0.segment == newest }.suffix(3)
        try zero(newest, from: tail.first!.start, count: 32 * 1024 - tail.first!.start)
        let (ledger, applied) = try apply()
        #expect(applied.damage.map(\.kind) == [.cutShort])
        #expect(applied.damage.first?.offset == tail.first!.start)
        #expect(try stored(ledger, placed) == Set(placed.dropLast(3).map(\.id)))
        #expect(try InboxApplier(ledger).health().problems.first?.contains("before the end the writer marked") == true)
    }

    @Test func aTruncatedSegmentIsNamedWithWhatIsMissing() throws {
        let placed = try writeLog(200)
        let victim = Set(placed.map(\.segment)).sorted()[1]
        #expect(truncate(file(victim), 10_000) == 0)
        let (ledger, applied) = try apply()
        #expect(applied.damage.map(\.kind) == [.truncated])
        #expect(applied.damage.first?.segment == victim)
        #expect(applied.damage.first?.offset == 10_000)
        #expect(applied.damage.first?.bytes == 32 * 1024 - 10_000)
        let lost = placed.filter { $0.segment == victim && $0.end > 10_000 }
        #expect(try stored(ledger, placed) == Set(placed.map(\.id)).subtracting(lost.map(\.id)))
    }

    @Test func aDeletedSegmentIsMissingWhetherInTheMiddleOrTheNewest() throws {
        let placed = try writeLog(200)
        let segments = Set(placed.map(\.segment)).sorted()
        unlink(file(segments[1]))
        unlink(file(segments.last!))
        let (ledger, applied) = try apply()
        #expect(applied.damage.map(\.kind) == [.missing, .missing])
        #expect(applied.damage.map(\.segment) == [segments[1], segments.last!])
        let lost = placed.filter { $0.segment == segments[1] || $0.segment == segments.last! }
        #expect(try stored(ledger, placed) == Set(placed.map(\.id)).subtracting(lost.map(\.id)))
        #expect(try InboxApplier(ledger).health().problems.contains { $0.contains("is missing") })
    }

    @Test func aDeletedSegmentTheAppliedPositionPointsIntoIsMissing() throws {
        let placed = try writeLog(200)
        let segments = Set(placed.map(\.segment)).sorted()
        do {
            let ledger = try Ledger.opened(path: ledgerPath, policy: .lineDefaults, applyingInbox: false)
            let firstInSecond = placed.firstIndex { $0.segment == segments[1] }!
            _ = try InboxApplier(ledger).apply(limit: firstInSecond + 2)
            #expect(try ledger.inboxStore.inboxPosition().segment == segments[1])
        }
        unlink(file(segments[1]))
        let health = try InboxApplier(Ledger(path: ledgerPath, policy: .lineDefaults, access: .readOnly)).health()
        #expect(health.damage.map(\.kind) == [.missing])
        #expect(health.damage.first?.segment == segments[1])
        let (_, applied) = try apply()
        #expect(applied.damage.map(\.segment) == [segments[1]])
    }

    /// Damage that begins before the applied position and runs to the end, a file cut to just
    /// after it, and a segment zeroed from its very start are named too: the segment's start,
    /// or the head file, says it was written by a writer that marks its ends.
    @Test func damageFromBeforeTheAppliedPositionToTheEndIsNamed() throws {
        let placed = try writeLog(200)
        let segments = Set(placed.map(\.segment)).sorted()
        let inSecond = placed.filter { $0.segment == segments[1] }
        do {
            let ledger = try Ledger.opened(path: ledgerPath, policy: .lineDefaults, applyingInbox: false)
            _ = try InboxApplier(ledger).apply(limit: placed.firstIndex { $0.segment == segments[1] }! + 3)
            #expect(try ledger.inboxStore.inboxPosition() == InboxPosition(segment: segments[1], offset: inSecond[2].end))
        }
        // From inside the last applied body to the end of the segment.
        try zero(segments[1], from: inSecond[2].end - 100, count: 32 * 1024 - inSecond[2].end + 100)
        // Segment 3 cut to just past its third body; segment 4 zeroed from its first byte.
        let inThird = placed.filter { $0.segment == segments[2] }
        #expect(truncate(file(segments[2]), off_t(inThird[2].end + 10)) == 0)
        try zero(segments[3], from: 0, count: 32 * 1024)
        let (ledger, applied) = try apply()
        #expect(applied.damage.map(\.kind) == [.cutShort, .truncated, .cutShort])
        #expect(applied.damage.map(\.segment) == [segments[1], segments[2], segments[3]])
        #expect(applied.damage[0].offset == inSecond[2].end)
        let kept = placed.filter { ($0.segment == segments[1] && $0.end <= inSecond[2].end) || ($0.segment == segments[2] && $0.end <= inThird[2].end)
            || ![segments[1], segments[2], segments[3]].contains($0.segment) }
        #expect(try stored(ledger, placed) == Set(kept.map(\.id)))
    }

    /// A batch too large for one write goes out in pieces; the block over the last batch's end
    /// mark goes last. Stopped before it, as a kill would stop it, the log reads up to the last
    /// batch's mark, whole, and no damage.
    @Test func aBatchCutShortByAKillBeforeItsFirstBlockIsNoDamage() throws {
        let ledger = try Ledger.opened(path: ledgerPath, policy: .lineDefaults, applyingInbox: false)
        let log = try InboxLogWriter(directory: InboxApplier(ledger).directory, applied: .start, settings: .init(segmentBytes: 8 << 20))
        try log.append((0..<5).map(webhook), receivedAt: LedgerHarness.now, autoRead: false)
        log.stopBeforeFirstBlock = true
        let big = (5..<4_000).map(webhook)
        #expect(throws: InboxLogError.self) { try log.append(big, receivedAt: LedgerHarness.now, autoRead: false) }
        log.close()
        let health = try InboxApplier(ledger).health()
        #expect(health.damage.isEmpty, "\(health.problems)")
        #expect(health.pendingBodies == 5)
        #expect(try InboxApplier(ledger).applyAll().damage.isEmpty)
    }

    @Test func rejectedBodiesAreCountedAsProblems() throws {
        let ledger = try Ledger.opened(path: ledgerPath, policy: .lineDefaults, applyingInbox: false)
        try InboxTests.enqueue(ledger, [webhook(1), Data("{\"events\": [1]}".utf8)])
        _ = try InboxApplier(ledger).applyAll()
        let health = try InboxApplier(ledger).health()
        #expect(health.rejectedBodies == 1)
        #expect(health.damage.isEmpty)
        #expect(!health.isHealthy)
        #expect(health.problems.contains { $0.contains("inbox_rejected") })
        #expect(health.problems.contains { $0.contains("events[0] is not an object") })
        #expect(try ledger.inboxStore.inboxProblemCounts() == (1, 0))
    }

    /// A reader beside a writer that appends and rolls all the while never calls the segment
    /// being written damaged.
    @Test func aRunningWriterIsNeverMistakenForDamage() async throws {
        let ledger = try Ledger.opened(path: ledgerPath, policy: .lineDefaults, applyingInbox: false)
        let log = try InboxLogWriter(directory: InboxApplier(ledger).directory, applied: .start, settings: .init(segmentBytes: 16 * 1024, spareSegments: 2))
        // The writer thread is the log's only user until it ends.
        final class Unchecked: @unchecked Sendable {
            let log: InboxLogWriter
            init(_ log: InboxLogWriter) { self.log = log }
        }
        let owned = Unchecked(log)
        let finished = DispatchSemaphore(value: 0)
        let writing = Thread {
            for n in 0..<400 { try? owned.log.append([Self.webhook(n)], receivedAt: LedgerHarness.now, autoRead: false) }
            finished.signal()
        }
        writing.start()
        var checks = 0
        while checks < 200 {
            #expect(try InboxApplier(ledger).health().damage.isEmpty)
            checks += 1
        }
        // Polled, not waited on: a blocked test thread could hold up the others.
        while finished.wait(timeout: .now()) == .timedOut { try await Task.sleep(for: .milliseconds(5)) }
        log.close()
        #expect(try InboxApplier(ledger).health().damage.isEmpty)
        #expect(try InboxApplier(ledger).applyAll().bodies == 400)
    }
}

