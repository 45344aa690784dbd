import Foundation
import Intake
@testable import Ledger
import Lookup
import Store
import TalkVaultDomain
import Testing
import TestSupport

extension SweepCLITests {
    @Test func twoFindsBuildingTheIndexAtOnceBothAnswer() async throws {
        let dir = TempDir()
        let dataDir = try LedgerLockTests.store(dir, count: 20_000)
        let config = ["--data-dir", dataDir, "--config", "\(Fixtures.packageRoot)/retention.yaml"]
        let results = await withTaskGroup(of: ProcessResult?.self) { group in
            for _ in 0..<2 {
                group.addTask {
                    try? run(CLITests.binary, ["find", "--text", "の件です", "--count"] + config,
                             environment: ["TALKVAULT_DATA_DIR": "", "TALKVAULT_NOW": ""])
                }
            }
            return await group.reduce(into: [ProcessResult?]()) { $0.append($1) }
        }
        #expect(results.count == 2)
        for result in results {
            #expect(result?.status == 0, "\(result?.stderr ?? "")")
            #expect(result?.stdout == "20000\n")
        }
    }
}
