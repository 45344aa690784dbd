import Foundation
import TalkVaultDomain

/// One message as the ledger holds it.
public struct MessageRecord: Sendable, Equatable {
    public var id: String
    public var kind: MessageKind
    public var lineType: String
    public var chat: ChatRef
    public var senderId: String?
    public var sentAt: Instant
    public var deadline: Instant
    public var state: MessageState
    public var reason: LossReason?
    public var text: String?
    public var originalText: String?
    /// The webhook event that defined the message, as canonical JSON (the `message` object inside).
    public var eventJSON: String
    public var contentProvider: String?
    public var contentURL: String?
    public var fileName: String?
    public var fileSize: Int64?
    public var markAsReadToken: String?
    public var edited: Bool
    public var unsentAt: Instant?

    public init(id: String, kind: MessageKind, lineType: String, chat: ChatRef, senderId: String? = nil, sentAt: Instant,
                deadline: Instant, state: MessageState, reason: LossReason? = nil, text: String? = nil,
                originalText: String? = nil, eventJSON: String, contentProvider: String? = nil,
                contentURL: String? = nil, fileName: String? = nil, fileSize: Int64? = nil,
                markAsReadToken: String? = nil, edited: Bool, unsentAt: Instant? = nil) {
        self.id = id
        self.kind = kind
        self.lineType = lineType
        self.chat = chat
        self.senderId = senderId
        self.sentAt = sentAt
        self.deadline = deadline
        self.state = state
        self.reason = reason
        self.text = text
        self.originalText = originalText
        self.eventJSON = eventJSON
        self.contentProvider = contentProvider
        self.contentURL = contentURL
        self.fileName = fileName
        self.fileSize = fileSize
        self.markAsReadToken = markAsReadToken
        self.edited = edited
        self.unsentAt = unsentAt
    }
}

/// One message as an export row needs it.
public struct ExportRow: Sendable {
    public var id: String
    public var sentAt: Instant
    public var chatType: String
    public var chatId: String
    public var chatName: String?
    public var senderId: String?
    public var senderName: String?
    public var kind: MessageKind
    public var text: String?
    public var fileName: String?
    /// The defining webhook event, canonical JSON: stickers' keywords, locations' titles.
    public var eventJSON: String
    public var state: MessageState
    public var reason: String?
    public var edited: Bool
    public var contentSegment: String?
    public var contentEntry: String?
    public var contentSHA256: String?
    public var readAt: Instant?
    /// The channel (Official Account) the message reached.
    public var channel = ChannelName.implicit
    /// The customer's side, or the account's reply (from a chat backup).
    public var direction = MessageDirection.incoming
    /// A webhook, or only a chat backup.
    public var source = MessageSource.webhook

    public init(id: String, sentAt: Instant, chatType: String, chatId: String, chatName: String? = nil,
                senderId: String? = nil, senderName: String? = nil, kind: MessageKind, text: String? = nil,
                fileName: String? = nil, eventJSON: String, state: MessageState, reason: String? = nil, edited: Bool,
                contentSegment: String? = nil, contentEntry: String? = nil, contentSHA256: String? = nil,
                readAt: Instant? = nil) {
        self.id = id
        self.sentAt = sentAt
        self.chatType = chatType
        self.chatId = chatId
        self.chatName = chatName
        self.senderId = senderId
        self.senderName = senderName
        self.kind = kind
        self.text = text
        self.fileName = fileName
        self.eventJSON = eventJSON
        self.state = state
        self.reason = reason
        self.edited = edited
        self.contentSegment = contentSegment
        self.contentEntry = contentEntry
        self.contentSHA256 = contentSHA256
        self.readAt = readAt
    }
}

/// One message as `find` lists it.
public struct FoundMessage: Sendable {
    public var row: ExportRow
    /// Where a downloaded, not yet packed file waits.
    public var stagedFile: String?
    public var contentSize: Int64?
    /// The segment holding the message's latest record.
    public var recordSegment: String?
    public var readBy: String?

    public init(row: ExportRow, stagedFile: String? = nil, contentSize: Int64? = nil, recordSegment: String? = nil,
                readBy: String? = nil) {
        self.row = row
        self.stagedFile = stagedFile
        self.contentSize = contentSize
        self.recordSegment = recordSegment
        self.readBy = readBy
    }
}

/// Everything the ledger knows about one message, for `talkvault show`.
public struct MessageDetail: Sendable {
    public var found: FoundMessage
    public var record: MessageRecord
    public var capturedAt: Instant
    /// The event that defined the message: its id and whether LINE flagged it a redelivery.
    public var eventId: String
    public var contentType: String?
    public var edits: [Edit]
    /// received, redelivered, edited, unsent, downloaded, archived, read, exported, ... by time.
    public var history: [HistoryEntry]
    /// Weekly exports that carried the message, per profile.
    public var exports: [ExportedIn]
    /// The markAsRead call owed to LINE, if any.
    public var readReceipt: ReadReceipt?

    public struct Edit: Sendable, Equatable {
        public var editedAt: Instant
        public var text: String?

        public init(editedAt: Instant, text: String? = nil) {
            self.editedAt = editedAt
            self.text = text
        }
    }

    public struct HistoryEntry: Sendable, Equatable {
        public var at: Instant
        public var what: String
        public var detail: String?

        public init(at: Instant, what: String, detail: String? = nil) {
            self.at = at
            self.what = what
            self.detail = detail
        }
    }

    public struct ExportedIn: Sendable, Equatable {
        public var profile: String
        public var week: String
        public var path: String?

        public init(profile: String, week: String, path: String? = nil) {
            self.profile = profile
            self.week = week
            self.path = path
        }
    }

    public struct ReadReceipt: Sendable, Equatable {
        public var requestedAt: Instant
        public var attempts: Int
        /// Why the last try failed, while the call is still owed.
        public var lastError: String?
        public var sentAt: Instant?
        /// Why LINE refused the call for good; it is not sent again.
        public var refused: String?

        public init(requestedAt: Instant, attempts: Int, lastError: String? = nil, sentAt: Instant? = nil,
                    refused: String? = nil) {
            self.requestedAt = requestedAt
            self.attempts = attempts
            self.lastError = lastError
            self.sentAt = sentAt
            self.refused = refused
        }
    }

    public init(found: FoundMessage, record: MessageRecord, capturedAt: Instant, eventId: String,
                contentType: String? = nil, edits: [Edit], history: [HistoryEntry], exports: [ExportedIn],
                readReceipt: ReadReceipt? = nil) {
        self.found = found
        self.record = record
        self.capturedAt = capturedAt
        self.eventId = eventId
        self.contentType = contentType
        self.edits = edits
        self.history = history
        self.exports = exports
        self.readReceipt = readReceipt
    }
}

/// What `find` looks for. Every filter that is set must match.
public struct FindQuery: Sendable, Equatable {
    /// A chat id, or part of a chat's name.
    public var chat: String?
    /// A user id, or part of a display name.
    public var user: String?
    public var kinds: [MessageKind] = []
    /// States; `lost:REASON` narrows `lost` to one reason.
    public var states: [String] = []
    /// Sent at or after.
    public var since: Instant?
    /// Sent before.
    public var until: Instant?
    /// A substring of `MessageText.summary` (text, file name, sticker keywords, place).
    public var text: String?
    public var ids: [String] = []
    /// Channels (by name); empty for all.
    public var channels: [String] = []
    /// The customer's side, the account's, or (empty) both.
    public var directions: [MessageDirection] = []
    /// A tag on the message or on its chat.
    public var tag: String?
    public var limit: Int?
    /// Newest first instead of oldest first.
    public var newestFirst = false
    /// Only what comes after this place, in the order asked for: the next page.
    public var after: PageCursor?

    public init() {}
}
