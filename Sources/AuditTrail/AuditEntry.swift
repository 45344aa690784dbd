import Crypto
import DurableFile
import Foundation
import JSON
import TalkVaultDomain

/// One line of the audit log: who did what, to what, why, and how it ended. Never message
/// text: targets are ids, selections and file names.
public struct AuditEntry: Sendable, Equatable {
    /// 1 for the first entry; each next one adds 1.
    public var seq: Int64
    public var at: Instant
    /// `restore`, `show`, `export`, `mark-read`, `import`, `config`, ...
    public var action: String
    /// The OS user (or `SUDO_USER`), or the API token's name.
    public var who: String
    /// What it acted on: message ids, a selection (`--chat U…`), a week, files.
    public var target: [String]
    /// `--reason`, where the action takes one.
    public var reason: String?
    /// `ok`, or `failed (exit N)` with the error's first line.
    public var outcome: String
    /// The previous entry's hash (64 zeros for the first), and this one's: SHA-256 of the
    /// previous hash, a line feed, and this entry's canonical JSON without `hash`.
    public var previous: String
    public var hash: String

    public init(seq: Int64, at: Instant, action: String, who: String, target: [String], reason: String?, outcome: String,
                previous: String, hash: String = "") {
        self.seq = seq
        self.at = at
        self.action = action
        self.who = who
        self.target = target
        self.reason = reason
        self.outcome = outcome
        self.previous = previous
        self.hash = hash
    }

    /// The entry's members, without `hash`.
    var members: [String: JSONValue] {
        ["seq": .int(seq), "at_ms": .int(at.milliseconds), "action": .string(action), "who": .string(who),
         "target": .array(target.map(JSONValue.string)), "reason": reason.map(JSONValue.string) ?? .null,
         "outcome": .string(outcome), "previous": .string(previous)]
    }

    /// The line as written: canonical JSON with `hash`, no line feed.
    var line: String {
        var all = members
        all["hash"] = .string(hash)
        return JSONValue.object(all).canonicalJSON()
    }

    /// The line as stored, for `audit --json`.
    public var jsonLine: String { line }

    /// This entry's hash, from its members and `previous`.
    var computedHash: String { AuditHash.of(previous: previous, body: JSONValue.object(members).canonicalJSON()) }

    /// Reads a stored line (without its line feed); nil when it is not an entry.
    public static func parse(_ line: String) -> AuditEntry? { AuditEntry(line: line) }

    /// Reads a line; nil when it is not an entry of this shape.
    init?(line: String) {
        guard case .object(let m)? = try? JSONValue.parse(Data(line.utf8)), case .int(let seq)? = m["seq"], case .int(let at)? = m["at_ms"],
              let action = m["action"]?.stringValue, let who = m["who"]?.stringValue, case .array(let target)? = m["target"],
              let outcome = m["outcome"]?.stringValue, let previous = m["previous"]?.stringValue, let hash = m["hash"]?.stringValue,
              m.count == 9 else { return nil }
        let reason: String?
        switch m["reason"] {
        case .string(let text)?: reason = text
        case .null?: reason = nil
        default: return nil
        }
        let targets = target.compactMap(\.stringValue)
        guard targets.count == target.count else { return nil }
        self.init(seq: seq, at: Instant(milliseconds: at), action: action, who: who, target: targets, reason: reason, outcome: outcome,
                  previous: previous, hash: hash)
    }
}

/// Checks entries, oldest first, against the chain: their numbering, their links and their
/// hashes. `AuditLog.verify` checks the log with it, `audit --from-archives --verify` the copies
/// packed into the archives.
public struct AuditChain: Sendable {
    /// The entries that checked out so far.
    public private(set) var checked = 0
    private var previous = AuditHash.genesis
    private var expected: Int64 = 1

    public init() {}

    /// Checks the next entry: nil when it chains on, else what is wrong with it (and the chain
    /// stays where it was).
    public mutating func check(_ entry: AuditEntry) -> String? {
        if entry.seq != expected { return "entry \(entry.seq) where \(expected) was due: an entry was removed, added or moved" }
        if entry.previous != previous { return "it does not link to the entry before it" }
        if entry.hash != entry.computedHash { return "its hash does not match its content: it was edited" }
        previous = entry.hash
        expected += 1
        checked += 1
        return nil
    }
}

/// The chain's hash function.
enum AuditHash {
    static let genesis = String(repeating: "0", count: 64)

    static func of(previous: String, body: String) -> String {
        FileDigest.hex(SHA256.hash(data: Data((previous + "\n" + body).utf8)))
    }
}
