import Foundation
import Store
import TalkVaultDomain

/// What a purge would remove and what the holds keep back: the keep rules, the unsent policy
/// and the holds applied to every message. Computed without touching anything.
public struct PurgePlan: Sendable {
    /// Messages and content bytes per rule (`keep.text`, `unsent: redact`, `erase`).
    public var byRule: [String: Tally] = [:]
    /// Messages that would go but an active hold keeps, per hold.
    public var heldBack: [String: Tally] = [:]
    /// The decisions, by message id.
    public var tombstones: [Tombstone] = []
    /// Delivered exports whose keep rule ran out, and the rule.
    public var exports: [(file: DeliveredFile, rule: String)] = []
    /// Delivered exports past their rule that carry a message an active hold covers: kept, and the hold.
    public var exportsHeld: [(file: DeliveredFile, hold: String)] = []
    /// Messages the ledger holds in all.
    public var ledgerMessages = 0
    /// Messages an active hold covers, due or not.
    public var heldMessages = 0
    /// The oldest due time among what would go: the metrics' age of the oldest unpurged item.
    public var oldestDue: Instant?

    public struct Tally: Sendable, Equatable, Codable {
        public var messages = 0
        public var bytes: Int64 = 0

        mutating func add(_ bytes: Int64) {
            messages += 1
            self.bytes += bytes
        }
    }

    /// Messages that would go.
    public var messages: Int { tombstones.count }
    /// Their content bytes.
    public var bytes: Int64 { tombstones.reduce(0) { $0 + $1.contentBytes } }
    /// True when the rules make every message in the ledger due at once (holds aside): a
    /// `retention.yaml` mistake more likely than a wish.
    public var removesEverything: Bool {
        ledgerMessages > 0 && tombstones.count + heldBack.values.reduce(0) { $0 + $1.messages } >= ledgerMessages
    }
}

/// The decisions, as pure functions of the message, the rules, the holds and the time.
public enum PurgePlanner {
    /// What happens to `message` under `rules` at `now`: nil when it stays (not due, or kept
    /// forever), else the action and the rule's name, and when it fell due.
    public static func decision(for message: PurgeCandidate, rules: KeepRules, now: Instant) -> (action: PurgeAction, rule: String, due: Instant)? {
        if message.state == .unsent || message.unsentAt != nil {
            switch rules.unsent {
            case .redact: return (.redact, "unsent: redact", message.unsentAt ?? message.sentAt)
            case .delete: return (.purge, "unsent: delete", message.unsentAt ?? message.sentAt)
            case .keep: break
            }
        }
        // A chat backup's file holds its rows' text: text's rule keeps it, from its download.
        let kind = message.isBackupFile ? MessageKind.text : message.kind
        let rule = rules.rule(kind: kind, chatType: message.chat.type, channel: message.channel, tags: message.tags)
        guard let due = rule.duration.due(from: message.sentAt), due <= now else { return nil }
        return (.purge, rule.name, due)
    }

    /// The first active hold (by name) that covers `message`.
    public static func hold(covering message: PurgeCandidate, among holds: [LegalHold]) -> LegalHold? {
        holds.filter(\.isActive).sorted { $0.name < $1.name }.first { $0.covers(message) }
    }

    /// Adds `message` to `plan`: a tombstone when it would go and no hold covers it.
    public static func add(_ message: PurgeCandidate, action: PurgeAction, rule: String, due: Instant, holds: [LegalHold],
                           now: Instant, to plan: inout PurgePlan) {
        if let hold = hold(covering: message, among: holds) {
            plan.heldBack[hold.name, default: PurgePlan.Tally()].add(message.contentBytes)
            return
        }
        plan.byRule[rule, default: PurgePlan.Tally()].add(message.contentBytes)
        plan.tombstones.append(Tombstone(candidate: message, action: action, rule: rule, at: now))
        plan.oldestDue = min(plan.oldestDue ?? due, due)
    }

    /// The delivered exports whose `keep.exports` ran out, counted from the end of their week.
    public static func exportsDue(_ files: [DeliveredFile], rules: KeepRules, zone: TimeZone, now: Instant) -> [(file: DeliveredFile, rule: String)] {
        files.compactMap { file in
            guard let week = ISOWeek(parsing: file.week), let due = rules.exports.due(from: week.bounds(in: zone).end), due <= now else {
                return nil
            }
            return (file, "keep.exports")
        }
    }
}

extension LegalHold {
    /// True when this hold's scope takes in `message`: every criterion given holds. The same
    /// scope as `hold show`'s counts (`LedgerRetention.covers`).
    public func covers(_ message: PurgeCandidate) -> Bool {
        if !chats.isEmpty && !chats.contains(message.chat.id) { return false }
        if !users.isEmpty {
            let sent = message.senderId.map(users.contains) ?? false
            let theirChat = message.chat.type == .user && users.contains(message.chat.id)
            if !sent && !theirChat { return false }
        }
        if let channel, channel != message.channel { return false }
        if let since, message.sentAt < since { return false }
        if let until, message.sentAt >= until { return false }
        if let tag, !message.tags.contains(tag) { return false }
        return true
    }
}
