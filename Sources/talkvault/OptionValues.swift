import ArgumentParser
import Export
import Foundation
import Logging
import Lookup
import TalkVaultDomain

// Option values the parser reads and checks itself: `--help` lists the valid ones, and any
// other value is a usage error (64) that lists them.

extension Logger.Level: @retroactive ExpressibleByArgument {}
extension ExportProfile: ExpressibleByArgument {}
extension SweepOrder: ExpressibleByArgument {}

/// `sweep --kind`: a kind with content to download.
struct ContentKind: ExpressibleByArgument, Hashable {
    let kind: MessageKind

    init?(argument: String) {
        guard let kind = MessageKind(rawValue: argument), kind.hasContent else { return nil }
        self.kind = kind
    }

    static var allValueStrings: [String] { MessageKind.allCases.filter(\.hasContent).map(\.rawValue) }
}

/// `find --kind K[,K…]`: message kinds, comma-separated.
struct KindList: ExpressibleByArgument {
    let kinds: [MessageKind]

    init?(argument: String) {
        var kinds: [MessageKind] = []
        for name in commaSeparated(argument) {
            guard let kind = MessageKind(rawValue: name) else { return nil }
            kinds.append(kind)
        }
        self.kinds = kinds
    }

    static var allValueStrings: [String] { MessageKind.allCases.map(\.rawValue) }
}

/// `find --state S[,S…]`: message states, comma-separated; `lost:REASON` is one reason for a
/// loss, and `edited` a message edited after it was sent.
struct StateList: ExpressibleByArgument {
    let states: [String]

    init?(argument: String) {
        let states = commaSeparated(argument)
        let known = Set(MessageState.allCases.map(\.rawValue) + ["edited"])
        guard states.allSatisfy({ known.contains($0) || $0.hasPrefix("lost:") }) else { return nil }
        self.states = states
    }

    static var allValueStrings: [String] {
        MessageState.allCases.flatMap { $0 == .lost ? ["lost", "lost:REASON"] : [$0.rawValue] } + ["edited"]
    }
}

/// The items of a comma-separated list, trimmed; empty items are dropped.
private func commaSeparated(_ text: String) -> [String] {
    text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
}

/// `find`'s outputs for programs; without one it prints a table on a terminal, tab-separated
/// lines otherwise. The parser refuses two at once.
enum FindOutput: String, EnumerableFlag {
    case json, csv, count

    static func help(for value: FindOutput) -> ArgumentHelp? {
        switch value {
        case .json: "JSON lines."
        case .csv: "CSV with a header row."
        case .count: "Print only how many messages match."
        }
    }

    /// How rows are printed; `count` prints none.
    var format: FindFormat? {
        switch self {
        case .json: .json
        case .csv: .csv
        case .count: nil
        }
    }
}
