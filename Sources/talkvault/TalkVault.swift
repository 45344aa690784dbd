import ArgumentParser

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
        subcommands: [DemoCommand.self, CheckCommand.self, IngestCommand.self, ServeCommand.self, StatusCommand.self, PackCommand.self,
                      SweepCommand.self, MarkReadCommand.self, ExportCommand.self, FindCommand.self, ShowCommand.self, RestoreCommand.self, VerifyCommand.self, ReindexCommand.self]
    )
}

enum TalkVaultVersion {
    static let current = "0.1.0"
}
