import ArgumentParser
import Foundation
import Ledger

struct RelayRetryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract: "Send a target's dead letters again (refused, or given up on after max_age).",
        discussion: "Queues them; serve sends them before the rest of the log, and keeps those that fail again.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The target, by its name in relay:.")
    var target: String

    @Option(help: "Only bodies received at or after this time (RFC 3339, a date, or a month).")
    var since: String?

    func run() throws {
        let config = try global.loadConfig()
        let since = try since.map { try TimeOption.since($0, in: config.timeZone) }
        let ledger = try global.openLedgerForWriting(config, create: false)
        let known = Set(config.relay.map(\.name)).union(try ledger.relayStore.relayTargets().map(\.name))
        guard known.contains(target) else {
            throw Failure(.usage, "no relay target '\(target)' (known: \(known.sorted().joined(separator: ", ")))")
        }
        let queued = try ledger.relayStore.queueRetry(target: target, since: since)
        print("queued \(queued) dead letter\(queued == 1 ? "" : "s") of \(target); serve sends them before the rest of the log")
    }
}
