import ArgumentParser
import Foundation
import TalkVaultDomain

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
            // Holds win: taking off the tag an active hold names would release it without a reason.
            if let hold = try ledger.retentionStore.holds().activeHold(namingTag: targets.tag) {
                throw Failure(.held, "the active hold \(hold.name) covers the tag \(targets.tag); release the hold first (hold release, with a reason)")
            }
            print("removed \(targets.tag) from \(try ledger.retentionStore.untag(targets.tag, chats: targets.chat, messages: targets.ids))")
        }
    }
}
