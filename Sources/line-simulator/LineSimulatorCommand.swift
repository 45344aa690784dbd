import ArgumentParser

@main
struct LineSimulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "line-simulator",
        abstract: "A local stand-in for the LINE platform: the Messaging API with faults, and a webhook sender.",
        discussion: """
        `serve` answers LINE's real paths (content, transcoding, preview, profiles, bot info,
        markAsRead) with LINE's status codes and JSON, plus /external/content/{id} for content
        whose provider is `external`, and /admin/{stats,faults,messages,clock} for tests.
        `send` generates realistic webhook traffic, signs it and POSTs it to a receiver.
        """,
        subcommands: [ServeCommand.self, SendCommand.self, NoopCommand.self]
    )
}
