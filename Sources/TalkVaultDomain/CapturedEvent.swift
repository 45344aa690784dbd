/// One webhook event, parsed and ready to be stored. The LINE adapter builds these; the ledger
/// stores them. `rawJSON` keeps every field, including ones TalkVault does not understand.
public struct CapturedEvent: Sendable, Equatable {
    /// `webhookEventId`, or `sha256:<fingerprint>` when the event carried none.
    public var eventId: String
    /// LINE's event `type`, as sent.
    public var type: String
    /// The event's `timestamp` (the time of the event, even on redelivery).
    public var timestamp: Instant
    /// `deliveryContext.isRedelivery`.
    public var isRedelivery: Bool
    /// `mode`: `active` or `standby`.
    public var mode: String?
    /// The chat the event belongs to, when it has a source.
    public var chat: ChatRef?
    /// `source.userId`: the sender in a 1:1 chat, and in groups and rooms when LINE gives it.
    public var senderId: String?
    /// The event as canonical JSON (sorted keys), every field kept.
    public var rawJSON: String
    /// SHA-256 (hex) of the canonical event without `deliveryContext`: equal for true
    /// redeliveries, different when two events share an id but not their content.
    public var fingerprint: String
    /// What the event means for the ledger.
    public var payload: Payload

    public init(eventId: String, type: String, timestamp: Instant, isRedelivery: Bool, mode: String?,
                chat: ChatRef?, senderId: String?, rawJSON: String, fingerprint: String, payload: Payload) {
        self.eventId = eventId
        self.type = type
        self.timestamp = timestamp
        self.isRedelivery = isRedelivery
        self.mode = mode
        self.chat = chat
        self.senderId = senderId
        self.rawJSON = rawJSON
        self.fingerprint = fingerprint
        self.payload = payload
    }

    /// The part of an event that acts on messages.
    public enum Payload: Sendable, Equatable {
        /// A `message` event.
        case message(CapturedMessage)
        /// A `messageEdited` event: the message with its new text, under its original id.
        case edit(CapturedMessage)
        /// An `unsend` event for `messageId`.
        case unsend(messageId: String)
        /// A known event type that carries no message (follow, join, postback, …): kept raw.
        case other
        /// An event type TalkVault does not know, or a message event from a source type it does
        /// not know: kept raw and counted, whatever its shape.
        case unknownType
        /// A known type missing a field it needs, or with an implausible timestamp: kept raw,
        /// counted, not applied.
        case invalid(reason: String)
    }
}

/// The message inside a `message` or `messageEdited` event. Its full JSON stays in the event.
public struct CapturedMessage: Sendable, Equatable {
    /// `message.id`.
    public var id: String
    /// `message.type` as LINE sent it (kept even when `kind` is `.unknown`).
    public var lineType: String
    public var kind: MessageKind
    /// The text of a text message.
    public var text: String?
    /// A file's `fileName`, as sent (unsafe as a path: never use it as one unchanged).
    public var fileName: String?
    /// A file's `fileSize`.
    public var fileSize: Int64?
    /// `contentProvider.type`: `line` or `external`.
    public var contentProvider: String?
    /// `contentProvider.originalContentUrl`, for external content.
    public var originalContentURL: String?
    /// `markAsReadToken`.
    public var markAsReadToken: String?

    public init(id: String, lineType: String, kind: MessageKind, text: String? = nil, fileName: String? = nil,
                fileSize: Int64? = nil, contentProvider: String? = nil, originalContentURL: String? = nil,
                markAsReadToken: String? = nil) {
        self.id = id
        self.lineType = lineType
        self.kind = kind
        self.text = text
        self.fileName = fileName
        self.fileSize = fileSize
        self.contentProvider = contentProvider
        self.originalContentURL = originalContentURL
        self.markAsReadToken = markAsReadToken
    }
}

/// The events of one webhook body, with the bot user id they were sent to.
public struct CapturedBody: Sendable, Equatable {
    public var destination: String?
    public var events: [CapturedEvent]
    /// The channel whose secret verified the body.
    public var channel: String

    public init(destination: String?, events: [CapturedEvent], channel: String = ChannelName.implicit) {
        self.destination = destination
        self.events = events
        self.channel = channel
    }
}

/// What capturing one or more bodies did. Reported by `ingest` and counted by `serve`.
public struct CaptureCounts: Sendable, Equatable, Codable {
    public var eventsRead = 0
    /// Events stored for the first time (conflicting ones included).
    public var newEvents = 0
    /// Deliveries of an event already stored, with the same content (redeliveries included).
    public var duplicateEvents = 0
    /// Events that reused a stored event id with different content: stored and applied under
    /// a derived id, and kept in `event_conflicts`.
    public var conflictingEvents = 0
    /// Message events whose message id was new.
    public var newMessages = 0
    /// Message events under a new event id whose message id was already stored.
    public var duplicateMessages = 0
    public var editsApplied = 0
    /// Unsends that marked a stored message.
    public var unsendsApplied = 0
    /// Unsends stored before their message arrived; applied when it does.
    public var unsendsPending = 0
    /// Events of a type TalkVault does not know: kept raw.
    public var unknownTypes = 0
    /// Message events of a message type TalkVault does not know: kept as kind `unknown`.
    public var unknownMessageTypes = 0
    /// Known events missing a field they need: kept raw, not applied.
    public var invalidEvents = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case eventsRead = "events_read", newEvents = "new_events", duplicateEvents = "duplicate_events"
        case conflictingEvents = "conflicting_events", newMessages = "new_messages"
        case duplicateMessages = "duplicate_messages", editsApplied = "edits_applied"
        case unsendsApplied = "unsends_applied", unsendsPending = "unsends_pending"
        case unknownTypes = "unknown_types", unknownMessageTypes = "unknown_message_types"
        case invalidEvents = "invalid_events"
    }

    /// Adds another set of counts to this one.
    public mutating func add(_ other: CaptureCounts) {
        eventsRead += other.eventsRead
        newEvents += other.newEvents
        duplicateEvents += other.duplicateEvents
        conflictingEvents += other.conflictingEvents
        newMessages += other.newMessages
        duplicateMessages += other.duplicateMessages
        editsApplied += other.editsApplied
        unsendsApplied += other.unsendsApplied
        unsendsPending += other.unsendsPending
        unknownTypes += other.unknownTypes
        unknownMessageTypes += other.unknownMessageTypes
        invalidEvents += other.invalidEvents
    }
}
