import ArgumentParser
import Demo
import Foundation
import Logging

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the whole product against the built-in LINE simulator, in one process, in under a minute.",
        discussion: """
        Starts the simulator and the webhook receiver on loopback ports, sends three weeks of \
        backdated traffic with faults switched on, has staff read part of it (mark-read), runs \
        sweeps, and explains the result. Everything \
        goes into --dir, which is a data dir: `talkvault status --data-dir DIR` works on it.
        """)

    @Option(help: "The demo's data dir.") var dir = "./talkvault-demo"
    @Option(help: "Messages to send.") var messages = 400
    @Option(help: "Seed for traffic and content.") var seed: UInt64 = 2026
    @Flag(help: "Delete --dir first if it exists.") var replace = false
    @Option(help: "The policy file (default: the built-in one).") var config: String?

    func validate() throws {
        guard (1...20_000).contains(messages) else { throw ValidationError("--messages must be from 1 to 20000") }
    }

    func run() async throws {
        // The demo's --dir is its data dir; `--config=` takes any path, one starting with '-' included.
        var global = try GlobalOptions.parse(config.map { ["--config=\($0)"] } ?? [])
        global.dataDir = dir
        // The demo's data dir is made afresh: no config change is recorded in it.
        let settings = try global.loadConfig(auditingChange: false)
        let paths = global.paths(settings)
        let fm = FileManager.default
        if fm.fileExists(atPath: paths.dataDir) {
            guard replace else { throw Failure(.usage, "\(paths.dataDir) exists; pass --replace to start over, or another --dir") }
            try? fm.removeItem(atPath: paths.dataDir)
        }
        try? fm.createDirectory(atPath: paths.dataDir, withIntermediateDirectories: true)
        let started = Date()
        let demo = Demo(settings: .init(directory: paths.dataDir, messages: messages, seed: seed, policy: settings.policy,
                                        timeZone: settings.timeZone, pack: global.packSettings(settings)),
                        logger: Logger(label: "talkvault.demo"))
        let outcome = try await demo.run { print("· \($0)") }
        print(DemoSummary.render(outcome, dataDir: paths.dataDir, seconds: Date().timeIntervalSince(started)), terminator: "")
    }
}
