import ArgumentParser
import Foundation

struct HoldShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "One hold: its scope, who placed it and why, and what it covers now.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The hold's name.") var name: String

    func run() throws {
        let config = try global.loadConfig()
        let ledger = try global.openLedgerForReading(config)
        guard let hold = try ledger.retentionStore.holds().first(where: { $0.name == name }) else {
            throw Failure(.noInput, "no hold named \(name)")
        }
        let covered = try ledger.retentionStore.coverage(of: hold)
        print(HoldCommand.describe(hold, zone: config.timeZone), terminator: "")
        print("  covers   \(covered.messages) messages in \(covered.chats) chats, \(covered.contentBytes) bytes of content"
              + (hold.isActive ? "" : " (no longer held)"))
    }
}
