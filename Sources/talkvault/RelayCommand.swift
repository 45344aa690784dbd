import ArgumentParser

/// `talkvault relay`: the tools every acknowledged webhook body is relayed to.
struct RelayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relay",
        abstract: "See and steer the relay to the tools behind TalkVault (relay: in retention.yaml).",
        subcommands: [RelayStatusCommand.self, RelayRetryCommand.self])
}
