import ArgumentParser
import Foundation
import TalkVaultDomain

struct HoldAddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Place a legal hold.",
        discussion: """
        Every criterion given must hold; none holds everything. --user covers the user's \
        messages and the account's replies in the user's 1:1 chat. A user the ledger has not \
        seen gets a warning, and the hold is kept (it covers their messages once they arrive).
        """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "The hold's name (a case number, say): 1 to 40 letters, digits, - or _.") var name: String
    @Option(help: "Why: recorded with the hold and in the audit trail.") var reason: String
    @Option(help: "A chat id (repeatable).") var chat: [String] = []
    @Option(help: "A user id (repeatable).") var user: [String] = []
    @Option(help: "Only this channel.") var channel: String?
    @Option(help: ArgumentHelp("Sent at or after (as find's --since).", valueName: "time")) var since: String?
    @Option(help: ArgumentHelp("Sent up to (as find's --until).", valueName: "time")) var until: String?
    @Option(help: "A tag, on the message or its chat.") var tag: String?

    func validate() throws {
        guard TagName.isValid(name) else { throw ValidationError("--name is 1 to 40 letters, digits, - or _") }
        guard !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw ValidationError("--reason is empty: say why") }
        if let tag, !TagName.isValid(tag) { throw ValidationError("--tag is 1 to 40 letters, digits, - or _") }
    }

    func run() throws {
        let config = try global.loadConfig()
        let scope = chat.map { "--chat \($0)" } + user.map { "--user \($0)" } + [channel.map { "--channel \($0)" }, since.map { "--since \($0)" },
                                                                                 until.map { "--until \($0)" }, tag.map { "--tag \($0)" }].compactMap { $0 }
        // A time that does not parse is a usage error before anything, not a failed hold.
        let sinceTime = try since.map { try TimeOption.since($0, in: config.timeZone) }
        let untilTime = try until.map { try TimeOption.until($0, in: config.timeZone) }
        try global.audited(config, "hold add", target: [name] + scope, reason: reason) {
            let ledger = try global.openLedgerForWriting(config, create: false)
            let store = ledger.retentionStore
            let hold = LegalHold(name: name, reason: reason, chats: chat, users: user, channel: channel, since: sinceTime, until: untilTime,
                                 tag: tag.map(TagName.normalized), createdAt: try global.clock().now(), createdBy: GlobalOptions.actor)
            // Unknown names are kept (the hold covers what arrives later) but said: a typo would cover nothing.
            for id in user where try !store.userExists(id) {
                FileHandle.standardError.write(Data("talkvault: warning: no user \(id) in the ledger yet; the hold covers their messages once they arrive\n".utf8))
            }
            for id in chat where try !store.userExists(id) {
                FileHandle.standardError.write(Data("talkvault: warning: no chat \(id) in the ledger yet; the hold covers its messages once they arrive\n".utf8))
            }
            if let channel, try !GlobalOptions.knownChannels(config, ledger).contains(channel) {
                FileHandle.standardError.write(Data("talkvault: warning: no channel \(channel) is configured or in the ledger; the hold covers nothing until it is\n".utf8))
            }
            guard try store.addHold(hold) else { throw Failure(.usage, "a hold named \(name) exists (released holds keep their name)") }
            let covered = try store.coverage(of: hold)
            print("hold \(name) placed: it covers \(covered.messages) messages in \(covered.chats) chats now, and any that fall in it later")
        }
    }
}
