import ArgumentParser
import Foundation
import Intake
import Ledger
import Relay

struct RelayStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Per target: position, lag (bodies and age), delivered, retrying, refused and dead.",
        discussion: "Reads only. A target removed from the config is listed while the ledger keeps its state.")

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        let config = try global.loadConfig()
        let ledger = try global.openLedgerForReading(config)
        let targets = try RelayTargetStatus.all(store: ledger.relayStore, directory: InboxApplier(ledger).directory,
                                                configured: config.relay.map(\.name), now: try global.clock().now())
        if json { return try printJSON(targets) }
        guard !targets.isEmpty else { return print("no relay targets (add relay: to \(config.source))") }
        let rows = [["TARGET", "POSITION", "LAG", "OLDEST", "DELIVERED", "RETRYING", "REFUSED", "DEAD", "DEAD LETTERS"]] + targets.map {
            [$0.name + ($0.configured ? "" : " (not configured)"), $0.position, "\($0.lagBodies)",
             $0.lagBodies == 0 ? "-" : "\(Int($0.lagSeconds))s", "\($0.delivered)", $0.retrying ? "yes" : "no", "\($0.refused)",
             "\($0.dead)", $0.queued > 0 ? "\($0.deadLetters) (\($0.queued) queued)" : "\($0.deadLetters)"]
        }
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            print(zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces))
        }
        for target in targets where target.retrying {
            print("\(target.name): failing since \(target.failingSince ?? "?"): \(target.lastError ?? "?")")
        }
    }
}
