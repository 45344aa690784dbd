import Intake
import Foundation
import Ledger
import Store
import TalkVaultDomain
import Testing
import LedgerTestSupport
import TestSupport

/// `talkvault sweep --dry-run`, through the built binary.
@Suite struct SweepDryRunTests {
    /// No token from the environment or from systemd credentials.
    static let noToken = ["TALKVAULT_ACCESS_TOKEN": "", "CREDENTIALS_DIRECTORY": "", "TALKVAULT_NOW": "", "TALKVAULT_DATA_DIR": ""]

    /// A data dir whose ledger holds an image and a file waiting to be downloaded.
    static func dataDirWithDueContent(_ dir: TempDir) throws -> String {
        let ledger = try Ledger.opened(path: dir.file("data/ledger.sqlite3"), policy: .lineDefaults)
        let now = SystemClock().now().milliseconds
        _ = try Capturer(ledger: ledger, clock: SystemClock()).capture([Webhook.body([
            Webhook.media("plan-image", type: "image", eventId: "e-plan-1", at: now - 60_000),
            Webhook.media("plan-file", type: "file", eventId: "e-plan-2", at: now - 30_000,
                          extra: ["fileName": "quote.pdf", "fileSize": 1_234]),
        ])])
        return dir.file("data")
    }

    @Test func dryRunPlansWithoutAnAccessToken() throws {
        let dir = TempDir()
        let data = try Self.dataDirWithDueContent(dir)
        let config = "\(Fixtures.packageRoot)/retention.yaml"
        let plan = try run(CLITests.binary, ["sweep", "--dry-run", "--data-dir", data, "--config", config], environment: Self.noToken)
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stdout.contains("plan: 2 items"), "\(plan.stdout)")
        // Earliest deadline first: the file (7 days) before the image (14 days).
        let file = plan.stdout.range(of: "plan-file"), image = plan.stdout.range(of: "plan-image")
        #expect(file != nil && image != nil && file!.lowerBound < image!.lowerBound, "\(plan.stdout)")
        // A real sweep still needs the token, and says where to put it.
        let real = try run(CLITests.binary, ["sweep", "--data-dir", data, "--config", config], environment: Self.noToken)
        #expect(real.status == 78)
        #expect(real.stderr.contains("TALKVAULT_ACCESS_TOKEN"))
    }
}
