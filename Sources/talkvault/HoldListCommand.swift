import ArgumentParser
import Foundation

struct HoldListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the holds, active first.")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let config = try global.loadConfig()
        let ledger = try global.openLedgerForReading(config)
        let holds = try ledger.retentionStore.holds()
        if holds.isEmpty { FileHandle.standardError.write(Data("no holds\n".utf8)) }
        for hold in holds { print(HoldCommand.describe(hold, zone: config.timeZone), terminator: "") }
    }
}
