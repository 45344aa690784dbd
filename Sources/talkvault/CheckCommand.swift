import ArgumentParser
import RetentionConfig
import TalkVaultDomain

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate the config and print the effective retention policy and keep rules.",
        discussion: "Exits 78 and names file:line:col and the key for every problem found. A warning (a keep shorter "
            + "than LINE's window) goes to standard error and does not fail the check.")

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print the policy as JSON.")
    var json = false

    func run() throws {
        // A candidate file checked is not a config anything ran with: no `config change`.
        let config = try global.loadConfig(auditingChange: false)
        let report = PolicyReport(config: config, paths: global.paths(config))
        if json {
            try printJSON(report)
        } else {
            print(report.renderText(), terminator: "")
        }
    }
}
