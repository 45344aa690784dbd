import Foundation
import Testing
import TestSupport

/// The shipped systemd units run commands that exist, with options those commands take, and
/// every service has its timer where one is meant to run on a schedule.
@Suite struct SystemdUnitTests {
    static let directory = "\(Fixtures.packageRoot)/deploy/systemd"

    @Test func everyExecStartIsACommandTheBinaryAccepts() throws {
        let units = try FileManager.default.contentsOfDirectory(atPath: Self.directory).filter { $0.hasSuffix(".service") }.sorted()
        #expect(units == ["talkvault-export.service", "talkvault-purge.service", "talkvault-serve.service", "talkvault-sweep.service", "talkvault-verify.service"])
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
}
