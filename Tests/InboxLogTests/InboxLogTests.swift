import Foundation
@testable import InboxLog
import Intake
import Store
@testable import Ledger
import TalkVaultDomain
import Testing
import LedgerTestSupport
import TestSupport

/// The inbox log on its own: records, segments, torn tails, reuse, the lock, a full disk.
@Suite struct InboxLogTests {
    let dir = TempDir()
    var inbox: SegmentDirectory { SegmentDirectory(path: dir.file("ledger.sqlite3-inbox")) }

    func writer(_ applied: InboxPosition = .start, segmentBytes: Int = 8 * 1024, spares: Int = 2) throws(InboxLogError) -> InboxLogWriter {
        try InboxLogWriter(directory: inbox, applied: applied, settings: .init(segmentBytes: segmentBytes, spareSegments: spares))
    }

    func body(_ n: Int, bytes: Int = 3_000) -> Data {
        Data(("\(n):" + String(repeating: "x", count: max(0, bytes - 8))).utf8)
    }

    func readAll(from position: InboxPosition = .start) throws -> [InboxRecord] {
        let reader = try InboxLogReader(directory: inbox, from: position)
        var records: [InboxRecord] = []
        while let record = try reader.next() { records.append(record) }
        return records
    }

    func segmentFiles() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: inbox.path)) ?? []).filter { $0.hasSuffix(".seg") }.sorted()
    }

    @Test func recordsComeBackInOrderAcrossSegmentsWithTheirFlags() throws {
        let log = try writer()
        let at = Instant(milliseconds: 1_790_000_000_123)
        try log.append([body(1), body(2)], receivedAt: at, autoRead: false)
        // Does not fit the rest of the segment: goes whole into the next one.
        try log.append([body(3), body(4), body(5)], receivedAt: at, autoRead: true)
        // Larger than a segment: gets a segment of its own size.
        try log.append([body(6, bytes: 20_000)], receivedAt: at, autoRead: false)
        try log.append([Data()], receivedAt: at, autoRead: false)
        let records = try readAll()
        #expect(records.map { String(decoding: $0.body.prefix(2), as: UTF8.self) } == ["1:", "2:", "3:", "4:", "5:", "6:", ""])
        #expect(records.map(\.autoRead) == [false, false, true, true, true, false, false])
        #expect(records.allSatisfy { $0.receivedAt == at })
        #expect(records[5].body.count == 20_000 - 8 + 2)
        #expect(segmentFiles().count == 3, "the empty body fits behind body 6")
        // Reading from a record's end gives what follows it, and nothing twice.
        #expect(try readAll(from: records[2].end).count == 4)
        #expect(try readAll(from: records[6].end).isEmpty)
    }

    /// Writes cover whole blocks: each batch rewrites the block the last one ended in, and a
    /// batch larger than the 1 MiB staging buffer goes out in pieces. Every size around a
    /// block's edge, and bodies bigger than the buffer, come back byte for byte at the right ends.
    @Test func bodiesOfEverySizeAroundABlockComeBackWholeBatchAfterBatch() throws {
        let log = try writer(segmentBytes: 8 << 20)
        let sizes = [[0], [1], [4_063, 4_064], [4_065], [4_096, 8_191, 1], [1_500_000], [700_000, 700_000, 33], [4_000]]
        var expected: [Data] = []
        for (n, batch) in sizes.enumerated() {
            let bodies = batch.enumerated().map { i, size in Data((0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ n &+ i) }) }
            try log.append(bodies, receivedAt: Instant(milliseconds: Int64(n)), autoRead: n % 2 == 0)
            expected += bodies
            // Readable at once, while the writer still holds the segment open.
            #expect(try readAll().count == expected.count)
        }
        let records = try readAll()
        #expect(records.map(\.body) == expected.map(Array.init))
        var end = 0
        for record in records {
            end += 32 + record.body.count
            #expect(record.end == InboxPosition(segment: 1, offset: end))
        }
        #expect(segmentFiles().count == 1)
    }

    /// Where a direct write is refused (a device wanting another alignment), the writer turns
    /// direct I/O off for that file and writes again through the page cache.
    @Test func aRefusedDirectWriteGoesThroughThePageCacheInstead() throws {
        let fd = openDirect(dir.file("direct"), O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
        #expect(fd >= 0)
        defer { close(fd) }
        let wasDirect = fcntl(fd, F_GETFL) & directIO != 0
        // 3 bytes at offset 1: no direct write takes that.
        let odd: [UInt8] = [1, 2, 3]
        if wasDirect {
            #expect(odd.withUnsafeBytes { pwrite(fd, $0.baseAddress, 3, 1) } == -1 && errno == EINVAL)
        }
        #expect(dropDirect(fd) == wasDirect)
        #expect(fcntl(fd, F_GETFL) & directIO == 0)
        #expect(odd.withUnsafeBytes { pwrite(fd, $0.baseAddress, 3, 1) } == 3)
        #expect(!dropDirect(fd), "nothing left to turn off")
    }

    @Test func aTornTailIsNeverReadAndTheNextStartGoesOnInANewSegment() throws {
        do {
            let log = try writer(segmentBytes: 64 * 1024)
            try log.append([body(1)], receivedAt: Instant(milliseconds: 1), autoRead: false)
            try log.append([body(2), body(3)], receivedAt: Instant(milliseconds: 2), autoRead: false)
        }
        // A power loss mid-write: the last batch's last block never reached the disk, so its
        // last record's body is there only in part, and its end mark not at all.
        let file = inbox.path + "/" + segmentFiles()[0]
        let handle = try #require(FileHandle(forUpdatingAtPath: file))
        let cut = 3 * (32 + 3_000) - 100
        try handle.seek(toOffset: UInt64(cut))
        try handle.write(contentsOf: Data(repeating: 0, count: 12_288 - cut))
        try handle.close()
        let reader = try InboxLogReader(directory: inbox, from: .start)
        var count = 0
        while try reader.next() != nil { count += 1 }
        #expect(count == 2, "the torn record and nothing after it")
        #expect(reader.takeFindings().isEmpty, "a torn write was never acknowledged: no damage")

        let log = try writer(segmentBytes: 64 * 1024)
        try log.append([body(4)], receivedAt: Instant(milliseconds: 3), autoRead: false)
        #expect(segmentFiles().count == 2, "a restart never appends behind a torn record")
        #expect(try readAll().map { String(decoding: $0.body.prefix(2), as: UTF8.self) } == ["1:", "2:", "4:"])
    }

    @Test func aRecordDamagedBetweenWholeOnesIsHandedOnMarkedNotSkippedWithTheRest() throws {
        let webhooks = (1...3).map { n in
            Webhook.body([Webhook.text("m\(n)", String(repeating: "x", count: 1_000), eventId: "e\(n)", at: 1_790_000_000_000)])
        }
        let log = try writer(segmentBytes: 64 * 1024)
        try log.append(webhooks, receivedAt: Instant(milliseconds: 1), autoRead: false)
        log.close()
        // A byte in the middle of body 2 changes on disk after it was acknowledged.
        let file = inbox.path + "/" + segmentFiles()[0]
        let handle = try #require(FileHandle(forUpdatingAtPath: file))
        try handle.seek(toOffset: UInt64(32 + webhooks[0].count + 32 + webhooks[1].count / 2))
        try handle.write(contentsOf: Data("y".utf8))
        try handle.close()
        let records = try readAll()
        #expect(records.count == 3)
        #expect(records.map(\.damaged) == [false, true, false])
        #expect(records[0].body == Array(webhooks[0]) && records[2].body == Array(webhooks[2]))

        // The ledger keeps it aside with the reason, and applies the others.
        let ledger = try Ledger.opened(path: dir.file("ledger.sqlite3"), policy: .lineDefaults, applyingInbox: false)
        let applied = try InboxApplier(ledger).apply()
        #expect(applied.bodies == 3)
        #expect(applied.rejected == 1)
        #expect(applied.counts.newMessages == 2)
        #expect(try ledger.inboxStore.inboxRejected().oldest.map(\.problem) == ["damaged in the inbox log (its checksum does not match)"])
        #expect(applied.position == records[2].end)
    }

    @Test func aReusedSegmentsStaleRecordsAreNeverReadAgain() throws {
        let log = try writer(spares: 1)
        try log.append([body(1), body(2)], receivedAt: Instant(milliseconds: 1), autoRead: false)
        try log.append([body(3), body(4)], receivedAt: Instant(milliseconds: 1), autoRead: false)
        let applied = try readAll()
        #expect(applied.count == 4)
        // The apply passed segment 1, durably: the next roll reuses its file.
        #expect(log.applied(durablyBelow: applied[3].end.segment))
        try log.append([body(5), body(6)], receivedAt: Instant(milliseconds: 2), autoRead: false)
        #expect(segmentFiles().count == 2, "segment 1's file now holds segment 3")
        #expect(try readAll(from: applied[3].end).map { String(decoding: $0.body.prefix(2), as: UTF8.self) } == ["5:", "6:"])
        // Segment 2's file comes back as segment 4 and is written over only in part: behind
        // body 7 sits body 4's record, whole and with a good checksum, but numbered 2.
        let later = try readAll(from: applied[3].end)
        #expect(log.applied(durablyBelow: later[1].end.segment))
        try log.append([body(7)], receivedAt: Instant(milliseconds: 3), autoRead: false)
        let reader = try InboxLogReader(directory: inbox, from: later[1].end)
        var read: [String] = []
        while let record = try reader.next() { read.append(String(decoding: record.body.prefix(2), as: UTF8.self)) }
        #expect(read == ["7:"])
        #expect(reader.takeFindings().isEmpty, "stale records are no damage")
    }

    @Test func aPositionNotYetDurableCostsANewSegmentNotAReuse() throws {
        let log = try writer(spares: 0)
        try log.append([body(1), body(2)], receivedAt: Instant(milliseconds: 1), autoRead: false)
        try log.append([body(3), body(4)], receivedAt: Instant(milliseconds: 1), autoRead: false)
        let applied = try readAll()
        // Applied, but the ledger has not said it is durable: segment 1 stays.
        try log.append([body(5), body(6)], receivedAt: Instant(milliseconds: 1), autoRead: false)
        #expect(segmentFiles().count == 3, "segment 1 is kept: the position that passed it is not durable")
        try log.trim()
        #expect(segmentFiles().count == 3)
        #expect(try readAll(from: applied[3].end).count == 2)
        #expect(log.applied(durablyBelow: 3))
        try log.trim()
        #expect(segmentFiles().count == 1, "only the segment being written is left")
    }

    @Test func trimKeepsTheSparesAndDeletesTheRest() throws {
        let log = try writer(spares: 1)
        for n in 1...5 { try log.append([body(2 * n), body(2 * n + 1)], receivedAt: Instant(milliseconds: 1), autoRead: false) }
        #expect(segmentFiles().count == 5)
        let records = try readAll()
        log.applied(durablyBelow: records.last!.end.segment)
        try log.trim()
        #expect(segmentFiles().count == 2, "the current segment and one spare")
        #expect(try readAll(from: records.last!.end).isEmpty)
    }

    func inode(_ path: String) -> UInt64? {
        var info = stat()
        return stat(path, &info) == 0 ? UInt64(info.st_ino) : nil
    }

    @Test func aStartClearsHalfMadeSegmentsAndARollTakesThePreparedOne() async throws {
        // What a kill -9 in the middle of zero-filling leaves.
        try FileManager.default.createDirectory(atPath: inbox.path, withIntermediateDirectories: true)
        for name in ["next.tmp", "preparing.tmp"] {
            #expect(FileManager.default.createFile(atPath: inbox.path + "/" + name, contents: Data(count: 100)))
        }
        let log = try writer()
        #expect(!FileManager.default.fileExists(atPath: inbox.path + "/next.tmp"))
        // The background queue zero-fills the next segment; polled, not timed.
        var prepared: UInt64?
        for _ in 0..<2_000 where prepared == nil {
            if let found = inode(inbox.path + "/prepared.zero"), !FileManager.default.fileExists(atPath: inbox.path + "/preparing.tmp") {
                prepared = found
            } else {
                try await Task.sleep(for: .milliseconds(5))
            }
        }
        let expected = try #require(prepared)
        #expect(try Data(contentsOf: URL(fileURLWithPath: inbox.path + "/prepared.zero")) == Data(count: 8 * 1024))
        try log.append([body(1), body(2)], receivedAt: Instant(milliseconds: 1), autoRead: false)
        try log.append([body(3), body(4)], receivedAt: Instant(milliseconds: 1), autoRead: false)
        #expect(inode(inbox.path + "/0000000000000002.seg") == expected, "segment 2 is the prepared file, renamed")
        #expect(try readAll().count == 4)
    }

    @Test func onlyOneWriterAtATime() throws {
        let first = try writer()
        #expect(throws: InboxLogError.locked(path: inbox.path + "/lock")) { _ = try writer() }
        first.close()
        #expect(throws: InboxLogError.self) { try first.append([body(1)], receivedAt: Instant(milliseconds: 1), autoRead: false) }
        let second = try writer()
        try second.append([body(1)], receivedAt: Instant(milliseconds: 1), autoRead: false)
        #expect(try readAll().count == 1)
    }

    @Test func aDiskWithoutRoomForASegmentIsRefusedWithNothingLeftBehind() throws {
        var space = statvfs()
        #expect(statvfs(dir.path, &space) == 0)
        let tooBig = Int(space.f_bavail) * Int(space.f_frsize) + (64 << 20)
        #expect {
            _ = try writer(segmentBytes: tooBig)
        } throws: { error in
            guard case InboxLogError.diskFull = error else { return false }
            return true
        }
        #expect(segmentFiles().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: inbox.path + "/next.tmp"))
        // The lock was let go: a writer that fits starts at once.
        let log = try writer()
        try log.append([body(1)], receivedAt: Instant(milliseconds: 1), autoRead: false)
        #expect(try readAll().count == 1)
    }

    @Test func theLedgerAppliesTheLogExactlyOnceAcrossReopensAndOldInboxRowsFirst() throws {
        let path = dir.file("ledger.sqlite3")
        func webhook(_ n: Int) -> Data {
            Webhook.body([Webhook.text("m\(n)", "hello \(n)", eventId: "e\(n)", at: 1_790_000_000_000 + Int64(n))])
        }
        do {
            let ledger = try Ledger.opened(path: path, policy: .lineDefaults, applyingInbox: false)
            // A body an older version left in its inbox table.
            _ = try ledger.db.run("INSERT INTO webhook_inbox(received_at_ms, auto_read, body) VALUES (1, 0, ?1)", [.blob(Array(webhook(0)))])
            let log = try InboxLogWriter(directory: InboxApplier(ledger).directory, applied: try ledger.inboxStore.inboxPosition(),
                                         settings: .init(segmentBytes: 4096))
            for n in 1...6 { try log.append([webhook(n)], receivedAt: LedgerHarness.now, autoRead: false) }
            #expect(try InboxApplier(ledger).size().bodies == 7)
            let first = try InboxApplier(ledger).apply(limit: 3)
            #expect(first.bodies == 3)
            #expect(try InboxApplier(ledger).size().bodies == 4)
            #expect(try ledger.db.scalar("SELECT count(*) FROM webhook_inbox") == 0)
            #expect(try ledger.inboxStore.inboxPosition() == first.position)
        }
        let reopened = try Ledger.opened(path: path, policy: .lineDefaults, create: false)
        #expect(try InboxApplier(reopened).size().bodies == 0)
        let counts = try reopened.statusStore.tableCounts()
        #expect(counts["messages"] == 7)
        #expect(counts["raw_events"] == 7, "each event applied once")
        #expect(try InboxApplier(reopened).apply().bodies == 0)
    }

    @Test func aDamagedPositionIsReportedNotGuessed() throws {
        let ledger = try Ledger.opened(path: dir.file("ledger.sqlite3"), policy: .lineDefaults)
        _ = try ledger.db.run("INSERT INTO meta(key, value) VALUES('inbox_position', 'nonsense')")
        #expect {
            _ = try InboxApplier(ledger).apply()
        } throws: { error in
            guard case LedgerError.unexpectedSchema = error else { return false }
            return true
        }
    }
}
