/// What an import did, or with `--dry-run` would do.
public struct ImportReport: Sendable, Equatable {
    public var dryRun = false
    /// Backup CSV files read, in every zip and directory.
    public var files: [FileResult] = []
    /// Chats that `--map` settled.
    public var settled: [Settled] = []

    public init() {}

    /// One backup file.
    public struct FileResult: Sendable, Equatable {
        /// Where it was: the path, or `zip:entry`.
        public var path: String
        public var chatName: String?
        /// The chat it was merged into (`unmatched:<name>` when the name settled nothing).
        public var chatId: String?
        public var outcome: Outcome
        public var rows = 0
        public var matched = 0
        /// Matched rows whose message was unread until now.
        public var newlyRead = 0
        public var newIncoming = 0
        public var newOutgoing = 0
        /// Rows left out, each with its line and reason.
        public var rejectedRows: [RejectedRow] = []

        public init(path: String, outcome: Outcome) {
            self.path = path
            self.outcome = outcome
        }
    }

    public enum Outcome: Sendable, Equatable {
        case imported
        /// The same bytes were imported before: nothing to do.
        case alreadyImported
        /// Not imported at all; the reason names the line when there is one.
        case rejected(String)
        /// Not a CSV (another entry of a zip, another file in a directory): left alone.
        case skipped(String)
    }

    public struct RejectedRow: Sendable, Equatable {
        public var line: Int
        public var reason: String
    }

    /// A name `--map` settled.
    public struct Settled: Sendable, Equatable {
        public var name: String
        public var chatId: String
        /// Held messages moved to the chat, and those that were copies of its messages.
        public var moved: Int
        public var merged: Int
    }

    /// Chats whose name fits no captured chat or several, by name.
    public var unmatchedChats: [String: Unmatched] = [:]

    public struct Unmatched: Sendable, Equatable {
        /// The chats the name proposed, none confirmed by the rows (empty: none).
        public var candidates: [String]
        public var rows: Int
        /// Held by an earlier import; no file of this run named it.
        public var earlier = false
    }

    public var rows: Int { files.reduce(0) { $0 + $1.rows } }
    public var matched: Int { files.reduce(0) { $0 + $1.matched } }
    public var newIncoming: Int { files.reduce(0) { $0 + $1.newIncoming } }
    public var newOutgoing: Int { files.reduce(0) { $0 + $1.newOutgoing } }
    public var rejectedFiles: Int { files.filter { if case .rejected = $0.outcome { true } else { false } }.count }
    public var rejectedRows: Int { files.reduce(0) { $0 + $1.rejectedRows.count } }
}
