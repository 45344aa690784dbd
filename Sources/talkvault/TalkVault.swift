import ArgumentParser
import Foundation

@main
struct TalkVault: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "talkvault",
        abstract: "Keeps a LINE Official Account's chat history safe after LINE deletes it.",
        discussion: """
        Environment:
          TALKVAULT_DATA_DIR   the data dir, when --data-dir is not given
          TALKVAULT_NOW        an RFC 3339 time used as "now" by every command (tests, replay)

        Exit codes are listed in the README; 78 means a bad config, 64 a bad command line.
        """,
        version: TalkVaultVersion.current,
        subcommands: [DemoCommand.self, CheckCommand.self, IngestCommand.self, ImportCommand.self, ServeCommand.self, RelayCommand.self, StatusCommand.self, PackCommand.self,
                      SweepCommand.self, MarkReadCommand.self, ExportCommand.self, FindCommand.self, ThreadCommand.self, ShowCommand.self, RestoreCommand.self, DiscloseCommand.self, VerifyCommand.self, ReindexCommand.self, AuditCommand.self, TagCommand.self, HoldCommand.self, PurgeCommand.self, EraseCommand.self, UserCommand.self, ConsoleCommand.self]
    )

    /// Runs the command the arguments name. This is the one place an error becomes an exit code:
    /// the parser's own (a bad command line is 64; `--help`, `help COMMAND` and `--version` are
    /// 0) keep its messages and codes, and any error one of these commands throws is mapped by
    /// `Failure(any:)` and printed once, as `talkvault: MESSAGE`.
    static func main() async {
        var command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            exit(withError: error)
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            // The parser answers help requests with commands of its own, which end by throwing.
            guard ours(configuration.subcommands).contains(where: { $0 == type(of: command) }) else { exit(withError: error) }
            let failure = Failure(any: error)
            FileHandle.standardError.write(Data("talkvault: \(failure.message)\n".utf8))
            exit(withError: ExitCode(failure.exit.rawValue))
        }
    }
}

/// Every command of ours, nested ones (`relay status`) included.
private func ours(_ commands: [any ParsableCommand.Type]) -> [any ParsableCommand.Type] {
    commands.flatMap { [$0] + ours($0.configuration.subcommands) }
}

enum TalkVaultVersion {
    static let current = "0.1.0"
}
