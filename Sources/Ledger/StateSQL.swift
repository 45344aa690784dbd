import TalkVaultDomain

/// The `WHERE state` of the ledger's updates, taken from the domain's one state table
/// (`MessageState.table`), so the SQL cannot drift from it.
enum StateSQL {
    /// A condition on `column`: the states every one of `transitions` may start from.
    /// - Parameter changing: leave out rows that keep the state (an unsend of an unsent message).
    static func from(_ transitions: Transition.Name..., column: String = "state", changing: Bool = false,
                     where rule: (StateRule) -> Bool = { _ in true }) -> String {
        let sets = transitions.map { name in
            Set(MessageState.table.filter { $0.transition == name && (!changing || $0.to != $0.from) && rule($0) }.map(\.from))
        }
        let states = sets.dropFirst().reduce(sets.first ?? []) { $0.intersection($1) }
        let listed = MessageState.allCases.filter(states.contains)
        // The shortest form: this SQLite builds a temporary table for an IN list of three or more.
        if listed.count == 1 { return "\(column) = '\(listed[0].rawValue)'" }
        let others = MessageState.allCases.filter { !states.contains($0) }
        if others.count == 1 { return "\(column) != '\(others[0].rawValue)'" }
        return "\(column) IN (" + listed.map { "'\($0.rawValue)'" }.joined(separator: ",") + ")"
    }
}

extension StateSQL {
    /// `column IN (...)` for a list of kinds.
    static func kinds(_ kinds: [MessageKind], column: String = "kind") -> String {
        "\(column) IN (" + kinds.map { "'\($0.rawValue)'" }.joined(separator: ",") + ")"
    }
}
