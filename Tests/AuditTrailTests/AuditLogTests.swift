@testable import AuditTrail
import Foundation
import TalkVaultDomain
import Testing
import TestSupport

@Suite struct AuditLogTests {
    let dir = TempDir()
    var log: AuditLog { AuditLog(dataDir: dir.path) }

    func fill(_ count: Int) throws {
        for index in 0..<count {
            try log.append(.init(action: "show", who: "sato", target: ["m\(index)"], outcome: "ok"), at: Instant(milliseconds: Int64(index) * 1000))
        }
    }

    var lines: [String] {
        get { (try? String(contentsOfFile: log.path, encoding: .utf8))?.split(separator: "\n").map(String.init) ?? [] }
        nonmutating set { try? Data((newValue.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: log.path)) }
    }

    @Test func entriesAreNumberedChainedAndReadBack() throws {
        try fill(3)
        try log.append(.init(action: "export --force", who: "suzuki", target: ["2026-W47"], reason: "the manifest was lost", outcome: "ok"),
                       at: Instant(milliseconds: 9_000))
        var entries: [AuditEntry] = []
        try log.entries { entries.append($0) }
        #expect(entries.map(\.seq) == [1, 2, 3, 4])
        #expect(entries[0].previous == AuditHash.genesis && entries[1].previous == entries[0].hash)
        #expect(entries[3].reason == "the manifest was lost" && entries[3].action == "export --force")
        #expect(log.verify() == AuditVerification(entries: 4, problem: nil))
    }

    @Test(arguments: ["edited", "removed", "reordered", "truncated", "garbage"])
    func aTamperedLogIsNamedAtItsFirstBadEntry(_ tampering: String) throws {
        try fill(5)
        var lines = self.lines
        switch tampering {
        case "edited": lines[2] = lines[2].replacingOccurrences(of: "\"m2\"", with: "\"m9\"")
        case "removed": lines.remove(at: 2)
        case "reordered": lines.swapAt(2, 3)
        case "truncated": lines[2] = String(lines[2].prefix(20))
        default: lines.insert("hello", at: 2)
        }
        self.lines = lines
        let result = log.verify()
        #expect(result.problem?.line == 3, "\(tampering): \(String(describing: result.problem))")
        #expect(result.entries == 2, "the entries before it check out")
    }

    @Test func appendsAfterAnIntactLogAndRefusesToChainOntoGarbage() throws {
        try fill(2)
        self.lines = self.lines + ["not json"]
        #expect(throws: AuditError.self) { try log.append(.init(action: "show", who: "x", target: [], outcome: "ok"), at: Instant(milliseconds: 0)) }
    }

    @Test func anAppendACrashCutShortIsDroppedAndTheChainGoesOn() throws {
        try fill(2)
        let handle = try #require(FileHandle(forWritingAtPath: log.path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"action":"show","at_ms":9,"#.utf8))
        try handle.close()
        try log.append(.init(action: "show", who: "sato", target: ["m9"], outcome: "ok"), at: Instant(milliseconds: 9_000))
        #expect(log.verify() == AuditVerification(entries: 3, problem: nil))
        #expect(lines.count == 3)
    }

    @Test func aWholeEntryThatLacksOnlyItsLineFeedKeepsItsPlace() throws {
        try fill(2)
        let text = try String(contentsOfFile: log.path, encoding: .utf8)
        try Data(text.dropLast().utf8).write(to: URL(fileURLWithPath: log.path))
        try log.append(.init(action: "show", who: "sato", target: ["m9"], outcome: "ok"), at: Instant(milliseconds: 9_000))
        #expect(log.verify() == AuditVerification(entries: 3, problem: nil))
    }
}
