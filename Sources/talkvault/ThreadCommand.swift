import ArgumentParser
import Foundation
import Ledger
import Lookup
import Store

struct ThreadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "thread",
        abstract: "Show one conversation: both sides, in order.",
        discussion: """
        ← is the customer, → the account (its staff or auto-reply, known from imported chat \
        backups). A message that only a chat backup holds is marked [import]; each imported \
        backup file is a line of its own. CHAT is a chat id, unmatched:NAME, or part of a \
        group's name.
        """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The chat.") var chat: String
    @Option(help: ArgumentHelp("Sent at or after (as find's --since).", valueName: "time")) var since: String?
    @Option(help: ArgumentHelp("Sent up to (as find's --until).", valueName: "time")) var until: String?
    @Option(help: "Only this channel, when the chat id is in several.") var channel: String?

    func run() throws {
        let config = try global.loadConfig()
        let ledger = try global.openLedgerForReading(config)
        var query = FindQuery()
        query.chat = chat
        query.channels = channel.map { [$0] } ?? []
        query.since = try since.map { try TimeOption.since($0, in: config.timeZone) }
        query.until = try until.map { try TimeOption.until($0, in: config.timeZone) }
        let out = BufferedOutput()
        var count = 0
        try Finder.find(ledger.searchStore, query, progress: indexingProgress) {
            count += 1
            out.write(ThreadFormat.line($0, zone: config.timeZone))
        }
        out.flush()
        if count == 0 { FileHandle.standardError.write(Data("no messages in \(chat)\n".utf8)) }
    }
}
