import Foundation
@testable import Ledger
@testable import Packing
import PackingTestSupport
import SQLiteDB
import Store
import TalkVaultDomain
import Testing
import TestSupport

extension ArchiveCLITests {
    func verifyBinary(_ h: PackHarness, deep: Bool = true) throws -> ProcessResult {
        try run(CLITests.binary, ["verify", "--data-dir", h.base.dir.path, "--config", "\(Fixtures.packageRoot)/retention.yaml"]
                + (deep ? ["--deep"] : []), environment: ["TALKVAULT_NOW": "", "TALKVAULT_DATA_DIR": ""])
    }

    @Test func deepVerifyNamesARowDeletedOrEditedInSQLite() throws {
        let h = try PackHarness.packed()
        let clean = try verifyBinary(h)
        #expect(clean.status == 0, "\(clean.stdout)")
        #expect(clean.stdout.contains("(25 compared with the ledger)"), "\(clean.stdout)")

        try h.ledger.db.run("DELETE FROM messages WHERE id = 'mt1'")
        try h.ledger.db.run("UPDATE messages SET text = '改ざんされた本文' WHERE id = 'mt2'")
        try h.ledger.db.run("UPDATE messages SET content_sha256 = '\(String(repeating: "0", count: 64))' WHERE id = 'mi0'")
        let result = try verifyBinary(h)
        #expect(result.status == 65)
        let problems = result.stdout.split(separator: "\n").filter { $0.hasPrefix("PROBLEM: ") }
        let segment = h.segmentPaths()[0]
        #expect(problems.contains { $0.hasPrefix("PROBLEM: message mt1: the ledger has no row for it") && $0.contains(segment) }, "\(problems)")
        #expect(problems.contains { $0 == "PROBLEM: message mt2: text differs between the ledger and its record in \(segment)" }, "\(problems)")
        #expect(problems.contains { $0 == "PROBLEM: message mi0: content_sha256 differs between the ledger and its record in \(segment)" },
                "\(problems)")
        #expect(problems.count == 3, "\(problems)")
        #expect(!result.stdout.contains("改ざん"), "values are never shown: they may be chat text")
    }
}
