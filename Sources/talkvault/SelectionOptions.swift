import ArgumentParser
import Foundation
import Ledger
import Store
import TalkVaultDomain

/// The filters `find` and a selection `restore` share.
struct SelectionOptions: ParsableArguments {
    @Option(help: "A chat id, or part of a group's name.") var chat: String?
    @Option(help: "A user id, or part of a display name.") var user: String?
    @Option(help: "Only this channel (a name from channels:); repeatable.") var channel: [String] = []
    @Option(help: ArgumentHelp("Kinds, comma-separated.", valueName: "kinds")) var kind: KindList?
    @Option(help: ArgumentHelp("States, comma-separated; lost:REASON is one reason for a loss.", valueName: "states"))
    var state: StateList?
    @Option(help: ArgumentHelp("Sent at or after: 2026-10, 2026-10-03, '2026-10-03 14:30', or RFC 3339 (in the configured zone).", valueName: "time"))
    var since: String?
    @Option(help: ArgumentHelp("Sent up to: a month, day or minute given here is included whole.", valueName: "time")) var until: String?
    @Option(help: "Only the customer's side (in) or the account's replies (out, from imported chat backups).") var direction: DirectionOption?
    @Option(help: "A tag, on the message or its chat (talkvault tag).") var tag: String?
    @Option(help: "A substring of the text, file name, sticker keywords or place (Japanese works).") var text: String?

    var isEmpty: Bool { channel.isEmpty && chat == nil && user == nil && kind == nil && state == nil && since == nil && until == nil && text == nil
        && direction == nil && tag == nil }

    /// The selection as its options, for the audit trail (`--chat U…`, `--kind image`).
    var described: [String] {
        var out = channel.map { "--channel \($0)" }
        for (flag, value) in [("--chat", chat), ("--user", user), ("--kind", kind?.kinds.map(\.rawValue).joined(separator: ",")),
                              ("--state", state?.states.joined(separator: ",")), ("--direction", direction?.rawValue), ("--tag", tag),
                              ("--since", since), ("--until", until),
                              // What was searched for may be a message's words: only that it was given.
                              ("--text", text.map { _ in "(given; not recorded)" })] {
            if let value { out.append("\(flag) \(value)") }
        }
        return out
    }

    func validate() throws {
        if let text, text.isEmpty { throw ValidationError("--text is empty") }
    }

    /// The query in `zone`; a time that does not parse is a usage error naming the option.
    func query(in zone: TimeZone) throws -> FindQuery {
        var query = FindQuery()
        query.chat = chat
        query.user = user
        query.channels = channel
        query.kinds = kind?.kinds ?? []
        query.states = state?.states ?? []
        query.text = text
        query.directions = direction.map { [$0.direction] } ?? []
        query.tag = tag.map(TagName.normalized)
        query.since = try since.map { try TimeOption.since($0, in: zone) }
        query.until = try until.map { try TimeOption.until($0, in: zone) }
        return query
    }
}

/// `--direction in|out`.
enum DirectionOption: String, ExpressibleByArgument, CaseIterable {
    case incoming = "in", outgoing = "out"

    var direction: MessageDirection { self == .incoming ? .incoming : .outgoing }
}
