import ArgumentParser
import Foundation
import Ledger
import Store
import TalkVaultDomain

struct TagCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tag",
        abstract: "Tag chats or messages (invoice, say), for find --tag and for holds.",
        subcommands: [TagAddCommand.self, TagRemoveCommand.self])
}

/// What `tag add` and `tag remove` share: `--chat C… TAG` or `ID… TAG`.
struct TagTargets: ParsableArguments {
    @Option(help: "A chat id (repeatable), instead of message ids.") var chat: [String] = []
    @Argument(help: "Message ids, then the tag; or only the tag, with --chat.") var words: [String] = []

    var tag: String { TagName.normalized(words.last ?? "") }
    var ids: [String] { Array(words.dropLast()) }

    func validate() throws {
        guard let tag = words.last else { throw ValidationError("give the tag last") }
        guard TagName.isValid(tag) else {
            throw ValidationError("the last word is the tag: 1 to 40 letters, digits, - or _, with a letter (got '\(tag.prefix(40))')")
        }
        guard chat.isEmpty != ids.isEmpty else { throw ValidationError("give --chat C, or message ids, before the tag (not both)") }
    }

    var described: [String] { chat.map { "--chat \($0)" } + ids + [tag] }
}
