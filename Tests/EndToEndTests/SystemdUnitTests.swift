import Foundation
import Testing
import TestSupport

/// The shipped systemd units run commands that exist, with options those commands take, and
/// every service has its timer where one is meant to run on a schedule.
@Suite struct SystemdUnitTests {
    static let directory = "\(Fixtures.packageRoot)/deploy/systemd"

    @Test func everyExecStartIsACommandTheBinaryAccepts() throws {
        let units = try FileManager.default.contentsOfDirectory(atPath: Self.directory).filter { $0.hasSuffix(".service") }.sorted()
        #expect(units == ["talkvault-console.service", "talkvault-export.service", "talkvault-purge.service", "talkvault-serve.service", "talkvault-sweep.service", "talkvault-verify.service"])
        for unit in units {
            let text = try String(contentsOfFile: "\(Self.directory)/\(unit)", encoding: .utf8)
            let exec = try #require(text.split(separator: "\n").first { $0.hasPrefix("ExecStart=") }, "\(unit)")
            let words = exec.dropFirst("ExecStart=".count).split(separator: " ").map(String.init)
            #expect(words[0] == "/usr/local/bin/talkvault")
            let help = try run(CLITests.binary, [words[1], "--help"])
            #expect(help.status == 0, "\(unit): \(words[1]) is not a command")
            for option in words.dropFirst(2) where option.hasPrefix("--") {
                #expect(help.stdout.contains(option), "\(unit): \(words[1]) has no \(option)")
            }
            // Secrets arrive as credentials, never in the config or the command line.
            #expect(!text.contains("TALKVAULT_CHANNEL_SECRET=") && !text.contains("TALKVAULT_ACCESS_TOKEN="))
            #expect(text.contains("User=talkvault") && text.contains("ProtectSystem=strict"))
        }
        let serve = try String(contentsOfFile: "\(Self.directory)/talkvault-serve.service", encoding: .utf8)
        #expect(serve.contains("LoadCredential=channel-secret:"))
        // Shutdown is bounded well inside systemd's default stop timeout of 90 s.
        #expect(serve.contains("TimeoutStopSec=30"))
        #expect(serve.contains("LimitNOFILE=65536"))
    }

    @Test func scheduledServicesHaveTimers() throws {
        for name in ["sweep", "export", "verify", "purge"] {
            let timer = try String(contentsOfFile: "\(Self.directory)/talkvault-\(name).timer", encoding: .utf8)
            #expect(timer.contains("OnCalendar=") && timer.contains("Persistent=true"), "\(name)")
            #expect(timer.contains("WantedBy=timers.target"))
        }
    }

    /// `systemd-analyze verify` accepts every unit, and `security --offline=true` rates every
    /// service at exposure 2.0 or lower. Skipped where systemd-analyze is not installed.
    @Test(.enabled(if: which("systemd-analyze") != nil, "systemd-analyze is not installed"))
    func everyUnitVerifiesAndEveryServiceIsHardened() throws {
        let analyze = try #require(which("systemd-analyze"))
        let dir = TempDir()
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.directory).sorted()
        for name in names {
            // verify checks that ExecStart's binary exists: the one just built stands in.
            let text = try String(contentsOfFile: "\(Self.directory)/\(name)", encoding: .utf8)
            _ = dir.write(name, text.replacingOccurrences(of: "/usr/local/bin/talkvault", with: CLITests.binary))
        }
        let verify = try run(analyze, ["verify"] + names.map { dir.file($0) })
        #expect(verify.status == 0 && verify.stderr.isEmpty, "\(verify.stderr)")
        for name in names where name.hasSuffix(".service") {
            let security = try run(analyze, ["security", "--offline=true", dir.file(name)])
            let line = try #require(security.stdout.split(separator: "\n").last { $0.contains("Overall exposure level") }, "\(security.stdout)")
            let level = try #require(line.split(separator: ":").last?.split(separator: " ").first.flatMap { Double($0) }, "\(line)")
            #expect(level <= 2.0, "\(name): exposure \(level)")
        }
    }
}
