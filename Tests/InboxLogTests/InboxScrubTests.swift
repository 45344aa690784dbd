import Foundation
@testable import InboxLog
import TalkVaultDomain
import Testing
import TestSupport

/// Purge and erasure take applied bodies off the inbox log; what is not yet applied stays.
@Suite struct InboxScrubTests {
    let dir = TempDir()
    var inbox: SegmentDirectory { SegmentDirectory(path: dir.file("ledger.sqlite3-inbox")) }

    func secret(_ n: Int) -> Data { Data("{\"text\":\"SECRET-\(n) 個人情報\"}".utf8) + Data(repeating: 0x20, count: 2_000) }

    func filesHold(_ needle: String) throws -> Bool {
        try FileManager.default.contentsOfDirectory(atPath: inbox.path).contains { name in
            (FileManager.default.contents(atPath: inbox.path + "/" + name) ?? Data()).range(of: Data(needle.utf8)) != nil
        }
    }

    func readAll() throws -> [InboxRecord] {
        let reader = try InboxLogReader(directory: inbox, from: .start)
        var records: [InboxRecord] = []
        while let record = try reader.next() { records.append(record) }
        return records
    }

    @Test func appliedBodiesAreZeroedAndTheLogStillReads() throws {
        let log = try InboxLogWriter(directory: inbox, applied: .start, settings: .init(segmentBytes: 64 * 1024, spareSegments: 2))
        let at = Instant(milliseconds: 1_790_000_000_000)
        for n in 0..<8 { try log.append([InboxEntry(body: secret(n), channel: n % 2 == 0 ? nil : "shop", autoRead: false)], receivedAt: at) }
        let before = try readAll()
        // Applied through the fifth record (block-aligned below it), the rest not yet.
        let through = before[5].end
        log.close()
        #expect(try filesHold("SECRET-0") && filesHold("SECRET-7"))

        let report = try InboxScrub.scrub(inbox, through: through)
        let limit = through.offset / AlignedBuffer.block * AlignedBuffer.block
        let scrubbed = before.filter { $0.end.offset <= limit }
        #expect(report.records == scrubbed.count && scrubbed.count >= 3, "\(report)")
        for (n, record) in before.enumerated() {
            #expect(try filesHold("SECRET-\(n) ") == (record.end.offset > limit), "record \(n)")
        }
        let after = try readAll()
        #expect(after.count == before.count && after.allSatisfy { !$0.damaged }, "every record still reads, none damaged")
        #expect(after.map(\.channel) == before.map(\.channel), "the channel a record arrived for stays")
        #expect(after.prefix(scrubbed.count).allSatisfy { $0.body.allSatisfy { $0 == 0 } })
        #expect(try InboxScrub.scrub(inbox, through: through).records == 0, "done once")
    }

    @Test func passedSegmentsAreZeroedWholeUnlessAWriterHoldsTheLog() throws {
        let log = try InboxLogWriter(directory: inbox, applied: .start, settings: .init(segmentBytes: 8 * 1024, spareSegments: 2))
        let at = Instant(milliseconds: 1_790_000_000_000)
        for n in 0..<6 { try log.append([InboxEntry(body: secret(n), autoRead: false)], receivedAt: at) }
        let records = try readAll()
        let through = records.last!.end
        #expect(through.segment > 1)
        let live = try InboxScrub.scrub(inbox, through: through)
        #expect(live.segmentsLeft > 0 && live.segmentsZeroed == 0, "serve may be reusing one: left alone")
        #expect(try filesHold("SECRET-0"))
        log.close()
        let stopped = try InboxScrub.scrub(inbox, through: through)
        #expect(stopped.segmentsZeroed == live.segmentsLeft)
        #expect(try !filesHold("SECRET-0"))
    }
}
