import Archive
import Crypto
import DurableFile
import Foundation
@testable import Ledger
import LedgerTestSupport
import LINE
@testable import Packing
import PackingTestSupport
import SQLiteDB
import Store
import TalkVaultDomain
import Testing
import TestSupport

extension ArchiveCLITests {
    /// The same from the command line, as an operator with only the archive dir would.
    @Test func theBinaryReindexesAndDeepVerifiesTheFixture() throws {
        let cli = CLITests()
        try FileManager.default.createDirectory(atPath: cli.dir.file("data"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: RecordFixture.archiveDir, toPath: cli.dir.file("data/archive"))
        let config = ["--config", "\(Fixtures.packageRoot)/retention.yaml"]
        let reindex = try cli.talkvault(["reindex", "--data-dir", "data", "--to", "rebuilt"] + config)
        #expect(reindex.status == 0, "\(reindex.stderr)")
        let rebuilt = try Ledger.opened(path: cli.dir.file("rebuilt/ledger.sqlite3"), policy: .lineDefaults, create: false)
        #expect(try RecordFixture.rows(of: rebuilt) == RecordFixture.committedRows())
        let verify = try cli.talkvault(["verify", "--data-dir", "rebuilt", "--deep"] + config)
        #expect(verify.status == 0, "\(verify.stdout)")
        #expect(verify.stdout.contains("(\(RecordFixture.messageIds.count) compared with the ledger)"), "\(verify.stdout)")
    }
}
