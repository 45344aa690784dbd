import TalkVaultDomain

/// One message as an archive keeps it: a line of a segment's `messages.jsonl`. The archive's
/// own type, not the ledger's row: a column the ledger gains later reaches the archives only
/// when this type and its version change. `RecordCodec` is the one place that writes and
/// reads it; `docs/archive-record.md` documents the layout and its versions.
public struct ArchiveRecord: Sendable, Equatable {
    /// The newest layout this release writes. A record is written in the oldest layout that
    /// holds it (`RecordCodec.layout(of:)`), so a webhook message keeps its version-1 bytes.
    public static let currentVersion = 2

    /// The layout the record was read in (a new record: the current one). `RecordCodec.encode`
    /// always writes the current layout.
    public var version: Int
    public var message: Message
    /// The webhook event that made the message's row: its message event, or the edit that
    /// came before it (`origin` `edit`).
    public var event: Event
    /// Its edits, oldest first, each with its event.
    public var edits: [Edit]
    /// The name of its content entry in the same segment, when the segment holds its content.
    public var contentEntry: String?

    public init(version: Int = ArchiveRecord.currentVersion, message: Message, event: Event, edits: [Edit], contentEntry: String? = nil) {
        self.version = version
        self.message = message
        self.event = event
        self.edits = edits
        self.contentEntry = contentEntry
    }

    /// Where the message's row came from.
    public enum Origin: String, Sendable, CaseIterable {
        /// Its own message event.
        case message
        /// An edit that arrived before the message event (which may never come).
        case edit
    }

    /// The message as TalkVault knew it when the record was packed.
    public struct Message: Sendable, Equatable {
        /// LINE's message id.
        public var id: String
        public var kind: MessageKind
        /// LINE's `message.type`, as sent (for `unknown` kinds too).
        public var lineType: String
        public var chatType: ChatType
        /// The user, group or room id.
        public var chatId: String
        public var senderId: String?
        /// The event's `timestamp`.
        public var sentAt: Instant
        /// When LINE deletes the content, by the policy in force when it was packed.
        public var deadline: Instant
        public var state: MessageState
        /// Why the content could not be saved; set exactly when `state` is `lost`.
        public var reason: LossReason?
        /// The current text: the latest edit's, or the original.
        public var text: String?
        /// The text of the message event.
        public var originalText: String?
        /// `contentProvider.type`: `line` or `external`.
        public var contentProvider: String?
        /// `contentProvider.originalContentUrl`, for external content.
        public var contentURL: String?
        /// The file name the user sent (`file` messages), as sent.
        public var fileName: String?
        /// The size LINE announced (`fileSize`).
        public var fileSize: Int64?
        /// What was downloaded: its `Content-Type`, length and SHA-256 (hex).
        public var contentType: String?
        public var contentSize: Int64?
        public var contentSHA256: String?
        public var markAsReadToken: String?
        public var origin: Origin
        public var edited: Bool
        public var unsentAt: Instant?
        /// When TalkVault first stored the message.
        public var capturedAt: Instant
        /// The message's version: moves on with every change, including packing.
        public var updatedAt: Instant
        public var readAt: Instant?
        /// Who marked it read: the name given to `mark-read`, or `line:auto`.
        public var readBy: String?
        /// The channel (Official Account) it reached; `default` in records from before channels.
        public var channel: String
        /// The customer's side (`incoming`) or the account's (`outgoing`, from a chat backup).
        public var direction: MessageDirection
        /// A webhook, or only an OA Manager chat backup.
        public var source: MessageSource
        /// The name a chat backup gives the sender: the staff member or auto-reply of an
        /// outgoing message, the user's display name of an imported incoming one.
        public var senderName: String?

        public init(id: String, kind: MessageKind, lineType: String, chatType: ChatType, chatId: String, senderId: String?, sentAt: Instant,
                    deadline: Instant, state: MessageState, reason: LossReason?, text: String?, originalText: String?,
                    contentProvider: String?, contentURL: String?, fileName: String?, fileSize: Int64?, contentType: String?,
                    contentSize: Int64?, contentSHA256: String?, markAsReadToken: String?, origin: Origin, edited: Bool,
                    unsentAt: Instant?, capturedAt: Instant, updatedAt: Instant, readAt: Instant?, readBy: String?,
                    channel: String = ChannelName.implicit, direction: MessageDirection = .incoming,
                    source: MessageSource = .webhook, senderName: String? = nil) {
            self.channel = channel
            self.direction = direction
            self.source = source
            self.senderName = senderName
            self.id = id
            self.kind = kind
            self.lineType = lineType
            self.chatType = chatType
            self.chatId = chatId
            self.senderId = senderId
            self.sentAt = sentAt
            self.deadline = deadline
            self.state = state
            self.reason = reason
            self.text = text
            self.originalText = originalText
            self.contentProvider = contentProvider
            self.contentURL = contentURL
            self.fileName = fileName
            self.fileSize = fileSize
            self.contentType = contentType
            self.contentSize = contentSize
            self.contentSHA256 = contentSHA256
            self.markAsReadToken = markAsReadToken
            self.origin = origin
            self.edited = edited
            self.unsentAt = unsentAt
            self.capturedAt = capturedAt
            self.updatedAt = updatedAt
            self.readAt = readAt
            self.readBy = readBy
        }

        /// The message's fields by their names in the record (`message.<name>`).
        public enum Field: String, Sendable, CaseIterable, Comparable {
            case id, kind, lineType = "line_type", chatType = "chat_type", chatId = "chat_id", senderId = "sender_id",
                 sentAt = "sent_at_ms", deadline = "deadline_ms", state, reason, text, originalText = "original_text",
                 contentProvider = "content_provider", contentURL = "content_url", fileName = "file_name", fileSize = "file_size",
                 contentType = "content_type", contentSize = "content_size", contentSHA256 = "content_sha256",
                 markAsReadToken = "mark_as_read_token", origin, edited, unsentAt = "unsent_at_ms", capturedAt = "captured_at_ms",
                 updatedAt = "updated_at_ms", readAt = "read_at_ms", readBy = "read_by", channel,
                 direction, source, senderName = "sender_name"

            public static func < (a: Field, b: Field) -> Bool { a.rawValue < b.rawValue }
        }

        /// True when `field` holds the same value here and in `other`: the record would write it the same.
        public func same(_ field: Field, as other: Message) -> Bool {
            RecordCodec.value(of: field, in: self) == RecordCodec.value(of: field, in: other)
        }
    }

    /// A webhook event as the ledger stored it on arrival.
    public struct Event: Sendable, Equatable {
        /// `webhookEventId`; `sha256:<fingerprint>` for an event that had none, and
        /// `<webhookEventId>#<fingerprint>` for one that reused another event's id.
        public var eventId: String
        /// The event's `type` (`message`, `messageEdited`, ...).
        public var type: String
        /// The event's `timestamp`.
        public var timestamp: Instant
        /// When TalkVault first received it.
        public var receivedAt: Instant
        /// `mode`: `active` or `standby`.
        public var mode: String?
        public var chatId: String?
        public var senderId: String?
        /// The webhook body's `destination`: the bot's user id, which names the channel.
        public var destination: String?
        /// True once any delivery of it carried `deliveryContext.isRedelivery`.
        public var redelivered: Bool
        /// What capture did with it.
        public var disposition: Disposition
        public var invalidReason: String?
        /// SHA-256 (hex) of the event's canonical JSON without `deliveryContext`: tells a
        /// redelivery from a different event that reuses its id.
        public var fingerprint: String
        /// The event's JSON, as LINE sent it (in canonical form).
        public var body: String

        public init(eventId: String, type: String, timestamp: Instant, receivedAt: Instant, mode: String?, chatId: String?, senderId: String?,
                    destination: String?, redelivered: Bool, disposition: Disposition, invalidReason: String?, fingerprint: String, body: String) {
            self.eventId = eventId
            self.type = type
            self.timestamp = timestamp
            self.receivedAt = receivedAt
            self.mode = mode
            self.chatId = chatId
            self.senderId = senderId
            self.destination = destination
            self.redelivered = redelivered
            self.disposition = disposition
            self.invalidReason = invalidReason
            self.fingerprint = fingerprint
            self.body = body
        }

        /// What capture did with an event.
        public enum Disposition: String, Sendable, CaseIterable {
            case message, edit, unsend, other, unknown, invalid
        }
    }

    /// One edit of the message (`messageEdited`).
    public struct Edit: Sendable, Equatable {
        public var messageId: String
        /// The edit event's `timestamp`.
        public var editedAt: Instant
        public var text: String?
        public var event: Event

        public init(messageId: String, editedAt: Instant, text: String?, event: Event) {
            self.messageId = messageId
            self.editedAt = editedAt
            self.text = text
            self.event = event
        }
    }
}
