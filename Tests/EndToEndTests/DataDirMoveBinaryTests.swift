import Crypto
@testable import Export
import Foundation
import Intake
@testable import Ledger
import LedgerTestSupport
import Packing
import SQLiteDB
@testable import Sweep
import SweepTestSupport
import Store
import TalkVaultDomain
import Testing
import TestSupport

extension ArchiveCLITests {
    static func pack(_ dataDir: String) throws -> (ProcessResult, [String: Any]) {
        let result = try run(CLITests.binary, ["pack", "--json", "--data-dir", dataDir, "--config", "\(Fixtures.packageRoot)/retention.yaml"],
                             environment: ["TALKVAULT_NOW": "", "TALKVAULT_DATA_DIR": ""])
        let json = (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) as? [String: Any] ?? [:]
        return (result, json)
    }

    static func count(_ ledgerPath: String, _ sql: String) throws -> Int64 {
        try Ledger.opened(path: ledgerPath, policy: .lineDefaults, create: false).db.scalar(sql)
    }

    @Test func aDataDirMovedBetweenASweepAndAPackPacksEverything() async throws {
        let h = try await SweepHarness.start(messages: 80, transcodeFailureRate: 0, seed: 23)
        let swept = try await h.sweeper().run(SweepOptions(pack: false))
        await h.simulator.stop()
        #expect(swept.downloaded > 5)
        let elsewhere = TempDir()
        let moved = elsewhere.file("moved")
        #expect(rename(h.dir.path, moved) == 0)

        let (result, json) = try Self.pack(moved)
        #expect(result.status == 0, "\(result.stderr)")
        #expect((json["discarded"] as? [String])?.isEmpty == true, "\(result.stdout)")
        #expect(json["content_entries"] as? Int == swept.downloaded)
        #expect(try Self.count(moved + "/ledger.sqlite3", "SELECT count(*) FROM messages WHERE state = 'downloaded'") == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: moved + "/staging").isEmpty)
        let ledger = try Ledger.opened(path: moved + "/ledger.sqlite3", policy: .lineDefaults, create: false)
        let verify = try Verifier(archiveDir: moved + "/archive", index: ledger.archiveIndex, deep: true).run()
        #expect(verify.ok, "\(verify.problems)")
    }

    @Test func packingACopiedDataDirLeavesTheOriginalsStagedFilesAlone() async throws {
        let h = try await SweepHarness.start(messages: 80, transcodeFailureRate: 0, seed: 29)
        let swept = try await h.sweeper().run(SweepOptions(pack: false))
        await h.simulator.stop()
        #expect(swept.downloaded > 5)
        let staged = try FileManager.default.contentsOfDirectory(atPath: h.dir.file("staging")).sorted()
        #expect(staged.count == swept.downloaded)
        let elsewhere = TempDir()
        let copy = elsewhere.file("copy")
        try FileManager.default.copyItem(atPath: h.dir.path, toPath: copy)

        let (result, json) = try Self.pack(copy)
        #expect(result.status == 0, "\(result.stderr)")
        #expect((json["discarded"] as? [String])?.isEmpty == true, "\(result.stdout)")
        #expect(json["content_entries"] as? Int == swept.downloaded)
        // The original is as the sweep left it: every staged file there, every download still waiting.
        #expect(try FileManager.default.contentsOfDirectory(atPath: h.dir.file("staging")).sorted() == staged)
        #expect(try Self.count(h.ledgerPath, "SELECT count(*) FROM messages WHERE state = 'downloaded'") == Int64(swept.downloaded))
        // And it packs on its own.
        let (original, originalJSON) = try Self.pack(h.dir.path)
        #expect(original.status == 0, "\(original.stderr)")
        #expect(originalJSON["content_entries"] as? Int == swept.downloaded)
    }
}
