import ArgumentParser
import Foundation
import Ledger
import Lookup
import TalkVaultDomain

/// The filters `find` and a selection `restore` share.
struct SelectionOptions: ParsableArguments {
    @Option(help: "A chat id, or part of a group's name.") var chat: String?
    @Option(help: "A user id, or part of a display name.") var user: String?
    @Option(help: ArgumentHelp("Kinds, comma-separated: \(MessageKind.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "kinds"))
    var kind: String?
    @Option(help: ArgumentHelp("States, comma-separated: received, content_due, downloaded, archived, lost, lost:REASON, unsent, edited.",
                               valueName: "states"))
    var state: String?
    @Option(help: ArgumentHelp("Sent at or after: 2026-10, 2026-10-03, '2026-10-03 14:30', or RFC 3339 (in the configured zone).", valueName: "time"))
    var since: String?
    @Option(help: ArgumentHelp("Sent up to: a month, day or minute given here is included whole.", valueName: "time")) var until: String?
    @Option(help: "A substring of the text, file name, sticker keywords or place (Japanese works).") var text: String?

    static let states: Set<String> = ["received", "content_due", "downloaded", "archived", "lost", "unsent", "edited"]

    var isEmpty: Bool { [chat, user, kind, state, since, until, text].allSatisfy { $0 == nil } }

    func validate() throws {
        for kind in list(kind) where MessageKind(rawValue: kind) == nil { throw ValidationError("--kind: unknown kind '\(kind)'") }
        for state in list(state) where !Self.states.contains(state) && !state.hasPrefix("lost:") {
            throw ValidationError("--state: unknown state '\(state)'")
        }
        if let text, text.isEmpty { throw ValidationError("--text is empty") }
    }

    /// The query in `zone`; a time that does not parse is a usage error naming the option.
    func query(in zone: TimeZone) throws -> FindQuery {
        var query = FindQuery()
        query.chat = chat
        query.user = user
        query.kinds = list(kind).compactMap(MessageKind.init(rawValue:))
        query.states = list(state)
        query.text = text
        if let since {
            guard let instant = TimeArgument.parse(since, edge: .start, in: zone) else { throw Failure(.usage, "--since: cannot read '\(since)' as a time") }
            query.since = instant
        }
        if let until {
            guard let instant = TimeArgument.parse(until, edge: .end, in: zone) else { throw Failure(.usage, "--until: cannot read '\(until)' as a time") }
            query.until = instant
        }
        return query
    }

    private func list(_ value: String?) -> [String] {
        (value ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
