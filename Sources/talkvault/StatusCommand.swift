import ArgumentParser
import Intake
import Ledger
import Store
import TalkVaultDomain

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show messages by kind and state, the next deadlines, what is at risk and what was lost.",
        discussion: """
        --json gives the same with the stable keys documented in docs/operations.md. Exits 65 when the \
        webhook inbox lost acknowledged bodies to damage or holds bodies that could not be applied.
        """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print the status as JSON.")
    var json = false

    @Option(help: "How many upcoming deadlines to list.")
    var deadlines = 10

    func validate() throws {
        guard deadlines >= 0 else { throw ValidationError("--deadlines must be zero or more") }
    }

    func run() throws {
        let now = try global.clock().now()
        let config = try global.loadConfig()
        let ledger = try global.openLedgerForReading(config)
        var report = try ledger.statusStore.status(now: now, timeZone: config.timeZone, deadlineLimit: deadlines, riskLimit: 20)
        report.inbox = try InboxApplier(ledger).health().summary
        if json { try printJSON(report) } else { print(report.renderText(), terminator: "") }
        if let inbox = report.inbox, !inbox.isHealthy {
            throw Failure(.dataError, "the webhook inbox lost or set aside acknowledged bodies (see PROBLEM above, or `talkvault verify`)")
        }
    }
}
