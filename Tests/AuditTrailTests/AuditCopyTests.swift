@testable import AuditTrail
import Crypto
import DurableFile
import Foundation
import TalkVaultDomain
import Testing
import TestSupport

/// What a pack copies out of the log, and the record of a changed config.
@Suite struct AuditCopyTests {
    let dir = TempDir()
    var log: AuditLog { AuditLog(dataDir: dir.path) }

    func fill(_ count: Int, from first: Int = 0) throws {
        for index in first..<(first + count) {
            try log.append(.init(action: "show", who: "sato", target: ["m\(index)"], outcome: "ok"), at: Instant(milliseconds: Int64(index) * 1000))
        }
    }

    var bytes: [UInt8] { Array((try? Data(contentsOf: URL(fileURLWithPath: log.path))) ?? Data()) }

    func copied(_ span: AuditLog.Span) throws -> [UInt8] {
        var out: [UInt8] = []
        try log.copy(span) { out.append(contentsOf: $0) }
        return out
    }

    @Test func eachCopyTakesTheWholeLinesSinceTheLastByteForByte() throws {
        #expect(try log.unpacked(after: nil) == nil, "no log, nothing to copy")
        try fill(3)
        let first = try #require(try log.unpacked(after: nil))
        #expect(first.first == 1 && first.last == 3 && first.entries == 3 && first.entryName == "audit/audit-1-3.jsonl")
        #expect(try copied(first) == bytes, "the lines as they are, byte for byte")
        #expect(try log.unpacked(after: first.mark) == nil, "nothing new")

        try fill(2, from: 3)
        let second = try #require(try log.unpacked(after: first.mark))
        #expect(second.first == 4 && second.last == 5 && second.offset == first.length)
        #expect(try copied(second) == Array(bytes[Int(first.length)...]))
        // Without the hint, the log is read from the start to the marked entry.
        var noHint = first.mark
        noHint.end = nil
        #expect(try log.unpacked(after: noHint) == second)
        // A hint that points elsewhere is not trusted.
        noHint.end = 17
        #expect(try log.unpacked(after: noHint) == second)
    }

    @Test func anAppendInProgressWaitsAndALineThatIsNoEntryIsCopiedAsItIs() throws {
        try fill(2)
        let handle = try #require(FileHandle(forWritingAtPath: log.path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"seq\":3,".utf8))
        try handle.close()
        let span = try #require(try log.unpacked(after: nil))
        #expect(span.last == 2 && span.offset + span.length == UInt64(bytes.count - 9), "the unfinished line waits")

        // A foreign line between entries goes along with them; the range ends at the last entry.
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
        try Data((lines[0] + "\nnot an entry\n" + lines[1] + "\n").utf8).write(to: URL(fileURLWithPath: log.path))
        let mixed = try #require(try log.unpacked(after: nil))
        let text = String(decoding: try copied(mixed), as: UTF8.self)
        #expect(mixed.entries == 2 && text.contains("not an entry\n"))
    }

    @Test func aReplacedLogIsCopiedWhole() throws {
        try fill(4)
        let mark = try #require(try log.unpacked(after: nil)).mark
        // Someone rewrites the log from scratch: the marked entry (4, its hash) is gone.
        unlink(log.path)
        try fill(2, from: 10)
        let again = try #require(try log.unpacked(after: mark))
        #expect(again.first == 1 && again.last == 2 && again.offset == 0 && again.length == UInt64(bytes.count))
    }

    @Test func aChangedConfigIsRecordedOnceWithBothHashes() throws {
        let first = Data("timezone: Asia/Tokyo\n".utf8), second = Data("timezone: UTC\n".utf8)
        let hash = { (data: Data) in FileDigest.hex(SHA256.hash(data: data)) }
        let seen = try #require(try log.recordConfig(source: "/etc/talkvault/retention.yaml", bytes: first, who: "sato", at: Instant(milliseconds: 1)))
        #expect(seen.action == "config change" && seen.target == ["/etc/talkvault/retention.yaml", "sha256:" + hash(first), "first seen"])
        #expect(try log.recordConfig(source: "/etc/talkvault/retention.yaml", bytes: first, who: "sato", at: Instant(milliseconds: 2)) == nil)
        let changed = try #require(try log.recordConfig(source: "/etc/talkvault/retention.yaml", bytes: second, who: "suzuki", at: Instant(milliseconds: 3)))
        #expect(changed.seq == 2 && changed.who == "suzuki" && changed.target == ["/etc/talkvault/retention.yaml", "sha256:" + hash(second), "was sha256:" + hash(first)])
        #expect(try String(contentsOfFile: log.configHashPath, encoding: .utf8) == hash(second) + "\n")
        #expect(log.verify() == AuditVerification(entries: 2, problem: nil))
    }

    @Test func aChangeTheLogCannotTakeIsNotForgotten() throws {
        try fill(1)
        try Data((String(decoding: bytes, as: UTF8.self) + "garbage\n").utf8).write(to: URL(fileURLWithPath: log.path))
        #expect(throws: AuditError.self) { try log.recordConfig(source: "c.yaml", bytes: Data("a".utf8), who: "x", at: Instant(milliseconds: 1)) }
        #expect(!FileManager.default.fileExists(atPath: log.configHashPath), "the hash is kept only once the entry is written")
    }
}
