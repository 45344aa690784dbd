import AuditTrail
import Foundation
import TalkVaultDomain
import Testing
import TestSupport

/// The newest page of the trail, read back from its end: the same entries `entries` gives,
/// newest first, across read blocks, paged by seq, an unfinished last line left out.
@Suite struct AuditTailTests {
    let dir = TempDir()
    var log: AuditLog { AuditLog(dataDir: dir.path) }

    /// `count` entries whose targets make the trail span several 64 KiB read blocks.
    func filled(_ count: Int) throws -> [AuditEntry] {
        for index in 0..<count {
            try log.append(.init(action: "console conversation", who: "ana", target: [String(repeating: "x", count: index % 700), "m\(index)"],
                                 outcome: "ok"), at: Instant(milliseconds: Int64(index) * 1000))
        }
        var all: [AuditEntry] = []
        try log.entries { all.append($0) }
        return all
    }

    @Test func pagesBackFromTheEndGiveEveryEntryOnceNewestFirst() throws {
        let all = try filled(600)
        #expect((try FileManager.default.attributesOfItem(atPath: log.path)[.size] as? Int ?? 0) > 3 * (1 << 16), "several blocks")
        for limit in [1, 7, 100, 600, 1000] {
            var seen: [AuditEntry] = [], before: Int64? = nil, more = true
            while more {
                let page = try log.newestEntries(before: before, limit: limit)
                #expect(page.entries.count <= limit)
                seen += page.entries
                more = page.more
                before = page.entries.last?.seq
                if page.entries.isEmpty { break }
            }
            #expect(seen == all.reversed(), "limit \(limit)")
        }
    }

    @Test func anUnfinishedLastLineIsLeftOutAndAnEmptyOrMissingTrailIsEmpty() throws {
        #expect(try log.newestEntries(before: nil, limit: 5).entries.isEmpty)
        let all = try filled(3)
        let handle = try #require(FileHandle(forWritingAtPath: log.path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"seq\":4,\"at\":".utf8))
        try handle.close()
        let page = try log.newestEntries(before: nil, limit: 5)
        #expect(page.entries == all.reversed() && !page.more)
    }
}
