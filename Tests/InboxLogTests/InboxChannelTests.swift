import Foundation
@testable import InboxLog
import TalkVaultDomain
import Testing
import TestSupport

/// Each record carries the channel whose secret verified its body; records of the implicit
/// channel keep the layout of before channels, so an existing log reads on.
@Suite struct InboxChannelTests {
    let dir = TempDir()
    var inbox: SegmentDirectory { SegmentDirectory(path: dir.file("ledger.sqlite3-inbox")) }

    func readAll() throws -> [InboxRecord] {
        let reader = try InboxLogReader(directory: inbox, from: .start)
        var records: [InboxRecord] = []
        while let record = try reader.next() { records.append(record) }
        return records
    }

    @Test func eachRecordComesBackWithItsChannelAndItsBodyUntouched() throws {
        let log = try InboxLogWriter(directory: inbox, applied: .start, settings: .init(segmentBytes: 8 * 1024, spareSegments: 2))
        let at = Instant(milliseconds: 1_790_000_000_000)
        try log.append([InboxEntry(body: Data(#"{"a":1}"#.utf8), channel: "shop-a", autoRead: true),
                        InboxEntry(body: Data(#"{"b":2}"#.utf8), channel: "shop-b", autoRead: false),
                        InboxEntry(body: Data(#"{"d":3}"#.utf8), channel: nil, autoRead: false),
                        InboxEntry(body: Data(), channel: "shop-a", autoRead: false)], receivedAt: at)
        try log.append([Data(#"{"old":4}"#.utf8)], receivedAt: at, autoRead: true)
        log.close()
        let records = try readAll()
        #expect(records.map(\.channel) == ["shop-a", "shop-b", "default", "shop-a", "default"])
        #expect(records.map { String(decoding: $0.body, as: UTF8.self) } == [#"{"a":1}"#, #"{"b":2}"#, #"{"d":3}"#, "", #"{"old":4}"#])
        #expect(records.map(\.autoRead) == [true, false, false, false, true])
        #expect(records.allSatisfy { !$0.damaged })
    }

    /// `default` named explicitly is stored as before channels: no prefix, no flag.
    @Test func theImplicitChannelIsStoredAsBefore() {
        let entry = InboxEntry(body: Data("x".utf8), channel: ChannelName.implicit, autoRead: false)
        #expect(entry.channel == nil && entry.stored == Data("x".utf8) && entry.flags & RecordHeader.channelFlag == 0)
        let named = InboxEntry(body: Data("x".utf8), channel: "ab", autoRead: false)
        #expect(named.stored == Data([2]) + Data("abx".utf8))
    }

    /// A channel prefix that does not hold a channel name is damage, never a guess.
    @Test func aPrefixThatIsNoChannelNameMarksTheRecordDamaged() {
        for payload in [[UInt8](), [5, 0x61], [2, 0x41, 0x42, 0x7B], [1, 0xFF, 0x7B]] {
            var record = InboxRecord(receivedAt: Instant(milliseconds: 0), autoRead: false, body: payload, end: .start)
            record.splitChannel()
            #expect(record.damaged, "\(payload)")
            #expect(record.channel == ChannelName.implicit)
        }
    }
}
