import TalkVaultDomain

/// Chat-backup imports: the OA Manager's backups merged with what webhooks captured.
public protocol ImportStore {
    /// How the chat a backup names resolves in `channel`: a chat `import --map` settled, else
    /// the 1:1 chats whose user has ever had `displayName`.
    func chats(named displayName: String, channel: String) throws(LedgerError) -> ChatNames
    /// Whether `chatId` is a 1:1 chat of `channel`, for `--map`.
    func isUserChat(_ chatId: String, channel: String) throws(LedgerError) -> Bool
    /// The message holding the backup file named `name` already imported with these bytes in
    /// `channel`, if any. (Two chats' files may hold the same bytes: the name says which chat.)
    func importedFile(sha256: String, name: String, channel: String) throws(LedgerError) -> String?
    /// Plans and applies several files' imports in one transaction, in order: `plan` gets a
    /// file's index and its chat's messages sent in its request's span, read inside the
    /// transaction (earlier files of the batch included), so nothing stored meanwhile is
    /// missed. With `dryRun` the transaction is rolled back.
    func importFiles(_ requests: [ImportRequest], channel: String, at now: Instant, dryRun: Bool,
                     plan: (Int, [StoredMessage]) throws -> ImportPlan) throws(LedgerError) -> [ImportPlan]
    /// Settles an unmatched chat: remembers `displayName` as `chatId`, and moves the messages
    /// that wait in `heldChatId` there. `plan` gets the held messages and the target's over
    /// their span, and says which held ones are copies of a target message (merged into it)
    /// and which move. With `dryRun` the transaction is rolled back.
    func settle(displayName: String, heldChatId: String, chatId: String, channel: String, at now: Instant, dryRun: Bool,
                plan: (_ held: [StoredMessage], _ target: [StoredMessage]) throws -> [String: String]) throws(LedgerError) -> Int
    /// The chat's messages sent in [from, to), webhook and imported, outside any import's
    /// transaction: what tells which of several candidate chats a backup is of. A nil chat
    /// means every 1:1 chat of the channel (for a span of a second or so).
    func messages(chatId: String?, channel: String, from: Instant, to: Instant) throws(LedgerError) -> [StoredMessage]
    /// The unmatched chats of `channel` that hold messages, with how many.
    func heldChats(channel: String) throws(LedgerError) -> [String: Int]
    /// True when the message holding an imported file's bytes has lost them before they were
    /// packed (its staged file vanished): importing the file again stages them anew.
    func bytesMissing(messageId: String) throws(LedgerError) -> Bool
    /// Gives the message of an imported file its bytes again, staged in `stagedFile`.
    func restage(messageId: String, stagedFile: String, size: Int64, sha256: String, at now: Instant) throws(LedgerError)
    /// Staged backup files (relative to the data dir) waiting to be packed: any other file in
    /// the import staging dir is left over from an import that died before committing.
    func stagedImportFiles() throws(LedgerError) -> Set<String>
}

/// One file of an import batch: its chat, and the span its rows were sent in (from inclusive,
/// to exclusive).
public struct ImportRequest: Sendable, Equatable {
    public var chatId: String
    public var from: Instant
    public var to: Instant

    public init(chatId: String, from: Instant, to: Instant) {
        self.chatId = chatId
        self.from = from
        self.to = to
    }
}

/// What the ledger knows of a chat's name.
public struct ChatNames: Sendable, Equatable {
    /// The chat `import --map` settled for the name.
    public var mapped: String?
    /// The 1:1 chats whose user has had the name.
    public var byProfile: [String]
    /// Those of `byProfile` whose user has the name now (not only once).
    public var current: [String] = []

    public init(mapped: String? = nil, byProfile: [String] = [], current: [String] = []) {
        self.current = current
        self.mapped = mapped
        self.byProfile = byProfile
    }
}

/// A message as import matching sees it.
public struct StoredMessage: Sendable, Equatable {
    public var id: String
    public var chatId: String
    public var sentAt: Instant
    public var direction: MessageDirection
    public var kind: MessageKind
    public var state: MessageState
    public var text: String?

    public init(id: String, chatId: String, sentAt: Instant, direction: MessageDirection, kind: MessageKind, state: MessageState, text: String?) {
        self.id = id
        self.chatId = chatId
        self.sentAt = sentAt
        self.direction = direction
        self.kind = kind
        self.state = state
        self.text = text
    }
}

/// What one file's import does.
public struct ImportPlan: Sendable {
    /// The backup file itself, kept as a message whose content is the file's bytes.
    public var file: NewImportedMessage
    /// Where the file's bytes wait to be packed, relative to the data dir.
    public var stagedFile: String
    /// The file's SHA-256 (hex) and length.
    public var sha256: String
    public var size: Int64
    /// Rows that matched a stored message: its id, with the row's line.
    public var matched: [(id: String, line: Int)]
    /// Rows that are new messages.
    public var new: [NewImportedMessage]
    /// When the rows count as read (the backup's download time), and by whom.
    public var readAt: Instant
    public static let readBy = "oa-import"

    public init(file: NewImportedMessage, stagedFile: String, sha256: String, size: Int64, matched: [(id: String, line: Int)],
                new: [NewImportedMessage], readAt: Instant) {
        self.file = file
        self.stagedFile = stagedFile
        self.sha256 = sha256
        self.size = size
        self.matched = matched
        self.new = new
        self.readAt = readAt
    }

    /// Matched rows whose message was still unread: they are read now.
    public var newlyRead = 0
}

/// A message an import adds, with the backup row (or file) it came from.
public struct NewImportedMessage: Sendable, Equatable {
    public var id: String
    public var kind: MessageKind
    public var lineType: String
    public var chat: ChatRef
    public var senderId: String?
    public var senderName: String?
    public var direction: MessageDirection
    public var sentAt: Instant
    public var deadline: Instant
    public var state: MessageState
    public var reason: LossReason?
    public var text: String?
    public var fileName: String?
    /// The event standing for the row: `oa-import:<id>`, its type and canonical JSON body.
    public var eventType: String
    public var eventBody: String
    public var fingerprint: String
    /// Where it came from, for `show`: `<file>:<line>`, or the file's name for the file itself.
    public var provenance: String

    public init(id: String, kind: MessageKind, lineType: String, chat: ChatRef, senderId: String?, senderName: String?,
                direction: MessageDirection, sentAt: Instant, deadline: Instant, state: MessageState, reason: LossReason?,
                text: String?, fileName: String? = nil, eventType: String, eventBody: String, fingerprint: String,
                provenance: String) {
        self.provenance = provenance
        self.id = id
        self.kind = kind
        self.lineType = lineType
        self.chat = chat
        self.senderId = senderId
        self.senderName = senderName
        self.direction = direction
        self.sentAt = sentAt
        self.deadline = deadline
        self.state = state
        self.reason = reason
        self.text = text
        self.fileName = fileName
        self.eventType = eventType
        self.eventBody = eventBody
        self.fingerprint = fingerprint
    }
}
