import Foundation

/// What `talkvault status` shows. The JSON keys are stable and documented in docs/operations.md.
public struct StatusReport: Codable, Sendable, Equatable {
    public var generatedAt: String
    public var timezone: String
    public var ledger: LedgerSummary
    /// kind → state → count, with every kind and state present.
    public var messages: [String: [String: Int]]
    /// The earliest deadlines of pending items.
    public var nextDeadlines: [DeadlineItem]
    public var atRisk: RiskSummary
    public var lost: LossSummary
    /// The webhook inbox, where the command asked for it (`status` does).
    public var inbox: InboxSummary?
    /// Each channel (Official Account) that has messages, by name.
    public var channels: [ChannelSummary] = []

    enum CodingKeys: String, CodingKey {
        case generatedAt = "generated_at", timezone, ledger, messages
        case nextDeadlines = "next_deadlines", atRisk = "at_risk", lost, inbox, channels
    }

    /// One channel's share of the ledger.
    public struct ChannelSummary: Codable, Sendable, Equatable {
        public var name: String
        public var messages: Int
        /// Content still to be saved.
        public var pending: Int
        public var atRisk: Int
        public var overdue: Int
        public var archived: Int
        public var lost: Int
        public var unread: Int
        /// The newest message's send time, RFC 3339.
        public var lastMessageAt: String?

        enum CodingKeys: String, CodingKey {
            case name, messages, pending, archived, lost, unread, overdue
            case atRisk = "at_risk", lastMessageAt = "last_message_at"
        }

        public init(name: String, messages: Int, pending: Int, atRisk: Int, overdue: Int, archived: Int, lost: Int, unread: Int,
                    lastMessageAt: String?) {
            self.name = name
            self.messages = messages
            self.pending = pending
            self.atRisk = atRisk
            self.overdue = overdue
            self.archived = archived
            self.lost = lost
            self.unread = unread
            self.lastMessageAt = lastMessageAt
        }
    }

    public init(generatedAt: String, timezone: String, ledger: LedgerSummary, messages: [String: [String: Int]],
                nextDeadlines: [DeadlineItem], atRisk: RiskSummary, lost: LossSummary) {
        self.generatedAt = generatedAt
        self.timezone = timezone
        self.ledger = ledger
        self.messages = messages
        self.nextDeadlines = nextDeadlines
        self.atRisk = atRisk
        self.lost = lost
    }

    /// Counts of what the ledger holds.
    public struct LedgerSummary: Codable, Sendable, Equatable {
        public var path: String
        public var messages: Int
        public var chats: Int
        public var events: Int
        /// Events that arrived more than once (LINE redeliveries and duplicates), stored once.
        public var redeliveredEvents: Int
        /// Events that reused a stored event id with other content: kept raw, and stored and
        /// applied under a derived id.
        public var conflictingEvents: Int
        public var unknownEvents: Int
        public var invalidEvents: Int
        /// Unsends whose message has not arrived (yet).
        public var pendingUnsends: Int

        enum CodingKeys: String, CodingKey {
            case path, messages, chats, events
            case redeliveredEvents = "redelivered_events", conflictingEvents = "conflicting_events"
            case unknownEvents = "unknown_events", invalidEvents = "invalid_events", pendingUnsends = "pending_unsends"
        }

        public init(path: String, messages: Int, chats: Int, events: Int, redeliveredEvents: Int,
                    conflictingEvents: Int, unknownEvents: Int, invalidEvents: Int, pendingUnsends: Int) {
            self.path = path
            self.messages = messages
            self.chats = chats
            self.events = events
            self.redeliveredEvents = redeliveredEvents
            self.conflictingEvents = conflictingEvents
            self.unknownEvents = unknownEvents
            self.invalidEvents = invalidEvents
            self.pendingUnsends = pendingUnsends
        }
    }

    /// One pending item and its deadline.
    public struct DeadlineItem: Codable, Sendable, Equatable {
        public var messageId: String
        public var kind: String
        public var chatType: String
        public var chatId: String
        public var state: String
        public var sentAt: String
        public var deadline: String
        /// Seconds from now to the deadline; negative once it has passed.
        public var secondsLeft: Int64
        public var risk: String
        /// The channel (Official Account) the message came to.
        public var channel: String

        enum CodingKeys: String, CodingKey {
            case messageId = "message_id", kind, chatType = "chat_type", chatId = "chat_id", state
            case sentAt = "sent_at", deadline, secondsLeft = "seconds_left", risk, channel
        }

        public init(messageId: String, kind: String, chatType: String, chatId: String, state: String,
                    sentAt: String, deadline: String, secondsLeft: Int64, risk: String, channel: String = ChannelName.implicit) {
            self.channel = channel
            self.messageId = messageId
            self.kind = kind
            self.chatType = chatType
            self.chatId = chatId
            self.state = state
            self.sentAt = sentAt
            self.deadline = deadline
            self.secondsLeft = secondsLeft
            self.risk = risk
        }
    }

    /// Pending items whose deadline is nearer than the safety margin.
    public struct RiskSummary: Codable, Sendable, Equatable {
        /// All at-risk items, overdue ones included.
        public var count: Int
        /// Of those, the ones whose deadline has already passed.
        public var overdue: Int
        /// The earliest of them (at most 20).
        public var items: [DeadlineItem]

        public init(count: Int, overdue: Int, items: [DeadlineItem]) {
            self.count = count
            self.overdue = overdue
            self.items = items
        }
    }

    /// Acknowledged webhook bodies: waiting to be applied, set aside, or lost to damage.
    public struct InboxSummary: Codable, Sendable, Equatable {
        public var pendingBodies: Int
        public var pendingBytes: Int
        /// Bodies that could not be applied, kept in the ledger's `inbox_rejected`.
        public var rejectedBodies: Int
        /// Damage to the inbox log: acknowledged bodies that can no longer be read.
        public var damage: [Damage]
        /// One line per problem (damage and rejected bodies), as `verify` prints them.
        public var problems: [String]

        public struct Damage: Codable, Sendable, Equatable {
            /// `unreadable`, `cut_short`, `truncated` or `missing`.
            public var kind: String
            /// The segment's file in the inbox directory.
            public var file: String
            public var atByte: Int
            public var bytes: Int?

            enum CodingKeys: String, CodingKey { case kind, file, atByte = "at_byte", bytes }

            public init(kind: String, file: String, atByte: Int, bytes: Int?) {
                self.kind = kind
                self.file = file
                self.atByte = atByte
                self.bytes = bytes
            }
        }

        enum CodingKeys: String, CodingKey {
            case pendingBodies = "pending_bodies", pendingBytes = "pending_bytes", rejectedBodies = "rejected_bodies", damage, problems
        }

        public init(pendingBodies: Int, pendingBytes: Int, rejectedBodies: Int, damage: [Damage], problems: [String]) {
            self.pendingBodies = pendingBodies
            self.pendingBytes = pendingBytes
            self.rejectedBodies = rejectedBodies
            self.damage = damage
            self.problems = problems
        }

        /// True when no acknowledged body is lost or set aside.
        public var isHealthy: Bool { rejectedBodies == 0 && damage.isEmpty }
    }

    /// Items that could not be saved, by reason, plus unsent messages.
    public struct LossSummary: Codable, Sendable, Equatable {
        public var total: Int
        /// Every `LossReason` present, zero or not.
        public var byReason: [String: Int]
        public var unsent: Int

        enum CodingKeys: String, CodingKey { case total, byReason = "by_reason", unsent }

        public init(total: Int, byReason: [String: Int], unsent: Int) {
            self.total = total
            self.byReason = byReason
            self.unsent = unsent
        }
    }
}

extension StatusReport {
    /// The report as aligned text for a terminal.
    public func renderText() -> String {
        var out = "TalkVault status at \(generatedAt) (\(timezone))\n"
        out += "ledger \(ledger.path): \(Self.count(ledger.messages, "message")) in \(Self.count(ledger.chats, "chat")), "
            + "\(Self.count(ledger.events, "event"))\n\n"

        let states = MessageState.allCases.map(\.rawValue)
        let kinds = MessageKind.allCases.map(\.rawValue)
        let header = ["kind"] + states + ["total"]
        var rows: [[String]] = []
        var columnTotals = [Int](repeating: 0, count: states.count)
        for kind in kinds {
            let counts = states.map { messages[kind]?[$0] ?? 0 }
            for (i, c) in counts.enumerated() { columnTotals[i] += c }
            rows.append([kind] + counts.map(String.init) + [String(counts.reduce(0, +))])
        }
        rows.append(["total"] + columnTotals.map(String.init) + [String(columnTotals.reduce(0, +))])
        out += Self.table([header] + rows)

        // Per channel once there is more than one: which account is behind.
        if channels.count > 1 || channels.contains(where: { $0.name != ChannelName.implicit }) {
            out += "\n" + Self.table([["channel", "messages", "pending", "at risk", "overdue", "archived", "lost", "unread", "last message"]]
                + channels.map { c in
                    [c.name, String(c.messages), String(c.pending), String(c.atRisk), String(c.overdue), String(c.archived), String(c.lost),
                     String(c.unread), c.lastMessageAt ?? "-"]
                })
        }

        out += "\nat risk: \(atRisk.count)"
        out += atRisk.overdue > 0 ? " (\(atRisk.overdue) past their deadline)\n" : "\n"
        for item in atRisk.items { out += "  " + Self.line(item) + "\n" }

        if nextDeadlines.isEmpty {
            out += "next deadlines: none pending\n"
        } else {
            out += "next deadlines:\n"
            for item in nextDeadlines { out += "  " + Self.line(item) + "\n" }
        }

        if lost.total == 0 {
            out += "lost: none"
        } else {
            let reasons = lost.byReason.filter { $0.value > 0 }.sorted { $0.key < $1.key }
            out += "lost: \(lost.total) (" + reasons.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")"
        }
        out += "; unsent: \(lost.unsent)\n"

        var notes: [String] = []
        if ledger.redeliveredEvents > 0 { notes.append("\(ledger.redeliveredEvents) arrived more than once (stored once)") }
        if ledger.conflictingEvents > 0 { notes.append("\(ledger.conflictingEvents) events reused a stored event id with other content (stored and applied under a derived id)") }
        if ledger.unknownEvents > 0 { notes.append("\(ledger.unknownEvents) events of unknown type (kept raw)") }
        if ledger.invalidEvents > 0 { notes.append("\(ledger.invalidEvents) invalid events (kept raw)") }
        if ledger.pendingUnsends > 0 { notes.append("\(ledger.pendingUnsends) unsends wait for their message") }
        if !notes.isEmpty { out += "events: " + notes.joined(separator: "; ") + "\n" }
        if let inbox {
            if inbox.pendingBodies > 0 {
                out += "inbox: \(Self.count(inbox.pendingBodies, "acknowledged body")) wait to be applied "
                    + "(serve applies them; so does any command that writes, such as pack)\n"
            }
            for problem in inbox.problems { out += "PROBLEM: \(problem)\n" }
        }
        return out
    }

    private static func line(_ item: DeadlineItem) -> String {
        let left = item.secondsLeft >= 0 ? "in \(RetentionDuration(seconds: roundToMinutes(item.secondsLeft)))"
                                         : "\(RetentionDuration(seconds: roundToMinutes(-item.secondsLeft))) ago"
        return "\(item.deadline)  \(left)  \(item.kind) \(item.messageId) in \(item.chatType) \(item.chatId) [\(item.state)]"
    }

    static func count(_ n: Int, _ noun: String) -> String { n == 1 ? "1 \(noun)" : "\(n) \(noun)s" }

    private static func roundToMinutes(_ seconds: Int64) -> Int64 { seconds < 60 ? seconds : seconds / 60 * 60 }

    /// Left-aligns the first column and right-aligns the rest.
    static func table(_ rows: [[String]]) -> String {
        guard let first = rows.first else { return "" }
        let widths = (0..<first.count).map { col in rows.map { $0[col].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { col, cell in
                let pad = String(repeating: " ", count: widths[col] - cell.count)
                return col == 0 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}
