import ArgumentParser
import Foundation
import Ledger
import Store
import Lookup

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Everything known about one message: its fields, where it is archived, and its history.",
        discussion: """
        The history lists when it was received (and redelivered), edited, unsent, downloaded, \
        archived, read, and the weekly export that carried it. Exits 66 for an unknown id.
        """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The message id.") var id: String
    @Flag(help: "One JSON object.") var json = false

    func run() throws {
        let config = try global.loadConfig()
        try global.audited(config, "show", target: [id]) {
            let ledger = try global.openLedgerForReading(config)
            guard let detail = try ledger.searchStore.detail(id: id) else {
                throw try ledger.purgedFailure(id, zone: config.timeZone) ?? Failure(.noInput, "no message \(id) in the ledger")
            }
            print(json ? DetailFormat.json(detail, zone: config.timeZone) : DetailFormat.text(detail, zone: config.timeZone), terminator: "")
        }
    }
}
