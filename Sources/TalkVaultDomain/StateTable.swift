/// Something that happens to a message after capture.
public enum Transition: Sendable, Equatable {
    /// Content streamed to disk and verified.
    case downloaded
    /// The staged download no longer matched when it was packed: it is due again.
    case discarded
    /// Sealed into an archive segment.
    case archived
    /// The content cannot be saved.
    case lost(LossReason)
    /// The user unsent it (an `unsend` event, or LINE's 410).
    case unsent
    /// Its text changed (`messageEdited`): an archived message must be archived again.
    case edited

    /// A transition without its detail, as the state table names it.
    public enum Name: String, CaseIterable, Sendable {
        case downloaded, discarded, archived, lost, unsent, edited
    }

    public var name: Name {
        switch self {
        case .downloaded: return .downloaded
        case .discarded: return .discarded
        case .archived: return .archived
        case .lost: return .lost
        case .unsent: return .unsent
        case .edited: return .edited
        }
    }
}

/// One row of the state machine: `transition` takes a message in `from` to `to`.
public struct StateRule: Sendable, Equatable {
    public var transition: Transition.Name
    public var from: MessageState
    public var to: MessageState
    /// Only a message without content to download takes this row: a kind without content, or
    /// (which only the ledger knows) one whose content is already archived.
    public var onlyWithoutContentDue: Bool

    public init(_ transition: Transition.Name, from: MessageState, to: MessageState, onlyWithoutContentDue: Bool = false) {
        self.transition = transition
        self.from = from
        self.to = to
        self.onlyWithoutContentDue = onlyWithoutContentDue
    }
}

extension MessageState {
    /// The one table of what may happen to a message. The ledger's updates take their `WHERE
    /// state` from it (`sources(of:)`), `applying` reads it, a test drives the ledger through
    /// every transition from every state against it, and docs/state-machine.md lists it.
    public static let table: [StateRule] = [
        StateRule(.downloaded, from: .contentDue, to: .downloaded),
        StateRule(.discarded, from: .downloaded, to: .contentDue),
        StateRule(.archived, from: .received, to: .archived, onlyWithoutContentDue: true),
        StateRule(.archived, from: .downloaded, to: .archived),
        // A record packed again (a change after archiving), or a loss or unsend archived as such.
        StateRule(.archived, from: .archived, to: .archived),
        StateRule(.archived, from: .lost, to: .lost),
        StateRule(.archived, from: .unsent, to: .unsent),
        StateRule(.lost, from: .contentDue, to: .lost),
        StateRule(.unsent, from: .received, to: .unsent),
        StateRule(.unsent, from: .contentDue, to: .unsent),
        StateRule(.unsent, from: .downloaded, to: .unsent),
        StateRule(.unsent, from: .archived, to: .unsent),
        StateRule(.unsent, from: .lost, to: .unsent),
        StateRule(.unsent, from: .unsent, to: .unsent),
        StateRule(.edited, from: .archived, to: .received),
        StateRule(.edited, from: .received, to: .received),
        StateRule(.edited, from: .contentDue, to: .contentDue),
        StateRule(.edited, from: .downloaded, to: .downloaded),
        StateRule(.edited, from: .lost, to: .lost),
    ]

    /// The states `transition` may start from.
    public static func sources(of transition: Transition.Name) -> [MessageState] {
        table.filter { $0.transition == transition }.map(\.from)
    }

    /// The state after `transition`, or nil when the table does not allow it from here.
    public func applying(_ transition: Transition, kind: MessageKind) -> MessageState? {
        guard let rule = Self.table.first(where: { $0.transition == transition.name && $0.from == self }) else { return nil }
        if rule.onlyWithoutContentDue && kind.hasContent { return nil }
        return rule.to
    }
}
