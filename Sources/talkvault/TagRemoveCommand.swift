import ArgumentParser
import Foundation

struct TagRemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove",
        abstract: "Remove a tag from chats (--chat C…) or messages (ID…).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var targets: TagTargets

    func run() throws {
        let config = try global.loadConfig()
        try global.audited(config, "tag remove", target: targets.described) {
            let ledger = try global.openLedgerForWriting(config, create: false)
            print("removed \(targets.tag) from \(try ledger.retentionStore.untag(targets.tag, chats: targets.chat, messages: targets.ids))")
        }
    }
}
