import ArgumentParser
import Foundation

struct TagAddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Tag chats (--chat C…) or messages (ID…): talkvault tag add --chat U… invoice.",
        discussion: "A chat's tag covers every message of it, later ones included. Unknown ids exit 2; tagging twice changes nothing.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var targets: TagTargets

    func run() throws {
        let config = try global.loadConfig()
        try global.audited(config, "tag add", target: targets.described) {
            let ledger = try global.openLedgerForWriting(config, create: false)
            let result = try ledger.retentionStore.tag(targets.tag, chats: targets.chat, messages: targets.ids, by: GlobalOptions.actor,
                                                       at: try global.clock().now())
            print("tagged \(result.tagged) with \(targets.tag)")
            for id in result.unknown { print("unknown \(id)") }
            if !result.unknown.isEmpty { throw Failure(.partial, "\(result.unknown.count) ids are not in the ledger") }
        }
    }
}
