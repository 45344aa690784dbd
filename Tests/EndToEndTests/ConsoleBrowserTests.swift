import Foundation
import Testing
import TestSupport

/// The console in a real browser: `scripts/browser-test` drives headless Chromium (Selenium and
/// Debian's chromedriver) through signing in, a Japanese search, the conversation, a file whose
/// SHA-256 must be the archive's and the weekly CSV, against a fresh demo data dir and the
/// `talkvault` just built. A screenshot of each step goes to `.build/test-artifacts/console-browser/`.
/// CI installs the browser (`scripts/deps --test`) and requires it there; elsewhere, without it,
/// the test shows as skipped rather than passing untried.
@Suite struct ConsoleBrowserTests {
    static let script = "\(Fixtures.packageRoot)/scripts/browser-test"
    static let artifacts = "\(Fixtures.packageRoot)/.build/test-artifacts/console-browser"
    static let underCI = ProcessInfo.processInfo.environment["CI"].map { !$0.isEmpty } ?? false
    /// The script's exit status when Chromium, chromedriver or Python's selenium is missing.
    static let browserMissing: Int32 = 77

    /// Whether the script finds its browser: `--check` exits 0, or 77 when something is missing.
    static let browserAvailable = (try? run(script, ["--check"]).status) == 0

    @Test(.enabled(if: underCI || browserAvailable,
                   "Chromium, chromedriver or Python's selenium is missing here; CI installs them with scripts/deps --test"))
    func signInSearchOpenTheConversationAndDownloadTheFileAndTheWeeklyCSV() async throws {
        // The script bounds itself at 300 s; the deadline here only catches a hang in it. Waited
        // for with Task.sleep: a minute's blocked wait would hold one of the two threads every
        // other test's tasks run on.
        let result = try #require(try await runAwaiting(Self.script, ["--talkvault", CLITests.binary, "--artifacts", Self.artifacts],
                                                        deadlineSeconds: 420))
        if result.status == Self.browserMissing {
            Issue.record(Self.underCI
                ? "browser missing under CI: scripts/deps --test must install chromium, chromium-driver and selenium\n\(result.stderr)"
                : "scripts/browser-test --check found the browser, the run did not\n\(result.stderr)")
            return
        }
        #expect(result.status == 0, "scripts/browser-test failed (screenshots in \(Self.artifacts)):\n\(result.stderr)")
        for step in ["01-sign-in", "02-search", "03-conversation", "04-file-download", "05-weekly-csv"] {
            let png = "\(Self.artifacts)/\(step).png"
            let head = FileManager.default.contents(atPath: png)?.prefix(8)
            #expect(head == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), "no screenshot \(png)")
        }
    }
}
