import Foundation
import Packing
import Store
import Testing
import TestSupport

/// The documented exit codes are the binary's: one table, one truth. The table is in the README;
/// each command is summarised in the README and described in full in its docs/ file.
@Suite struct ExitCodeDocsTests {
    let cli = CLITests()

    /// Where `pack` and `sweep` are documented: the README's summary and the topic file.
    static let documents = ["README.md", "docs/sweep.md"]

    /// The section for `talkvault COMMAND` in a markdown file: its heading to the next heading.
    static func section(of command: String, in file: String) throws -> String {
        let text = try String(contentsOfFile: "\(Fixtures.packageRoot)/\(file)", encoding: .utf8)
        guard let start = text.range(of: "(?m)^#+ `talkvault \(command)[` ]", options: .regularExpression) else { return "" }
        let rest = text[start.upperBound...]
        return String(rest[..<(rest.range(of: "\n#")?.lowerBound ?? rest.endIndex)])
    }

    /// Every exit code the text gives a second run: "a second … exits N".
    static func secondRunCodes(in text: String) throws -> [Int32] {
        let flat = text.replacingOccurrences(of: "\n", with: " ")
        let pattern = try NSRegularExpression(pattern: #"second[^.;]*?exits? (\d+)"#)
        return pattern.matches(in: flat, range: NSRange(flat.startIndex..., in: flat)).compactMap { match in
            Range(match.range(at: 1), in: flat).flatMap { Int32(flat[$0]) }
        }
    }

    @Test func theDocsGiveTheExitCodeASecondPackOrSweepHas() throws {
        let config = ["--config", "\(Fixtures.packageRoot)/retention.yaml", "--data-dir", "data"]
        let lock = try PackLock.acquire(dataDir: cli.dir.file("data"))
        defer { lock.release() }
        let pack = try cli.talkvault(["pack"] + config)
        let sweep = try cli.talkvault(["sweep"] + config, environment: ["TALKVAULT_ACCESS_TOKEN": "t"])
        #expect(pack.status == 4 && sweep.status == 4, "\(pack.stderr) \(sweep.stderr)")
        for (command, status) in [("pack", pack.status), ("sweep", sweep.status)] {
            for file in Self.documents {
                let claims = try Self.secondRunCodes(in: try Self.section(of: command, in: file))
                #expect(!claims.isEmpty, "\(file)'s \(command) section says nothing of a second run")
                #expect(claims.allSatisfy { $0 == status }, "\(file)'s \(command) section: \(claims), the binary: \(status)")
            }
        }
        // The README's table row for that code names both.
        let readme = try String(contentsOfFile: "\(Fixtures.packageRoot)/README.md", encoding: .utf8)
        let row = try #require(readme.split(separator: "\n").first { $0.hasPrefix("| \(pack.status) |") })
        #expect(row.contains("`sweep`") && row.contains("`pack`"), "\(row)")
    }
}
