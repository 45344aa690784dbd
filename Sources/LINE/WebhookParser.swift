import Foundation
import JSON
import TalkVaultDomain

/// Turns a webhook body into `CapturedEvent`s. Unknown event, message and source types are kept,
/// whatever their shape; an event of a known type missing a field it needs (or with a timestamp
/// outside `Instant.plausibleEventTimes`) is kept raw as `.invalid`; only a body that is not a
/// JSON object with an `events` array is rejected.
public enum WebhookParser {
    /// Event types that carry no message: stored raw, nothing more.
    public static let knownOtherTypes: Set<String> = [
        "follow", "unfollow", "join", "leave", "memberJoined", "memberLeft", "postback", "beacon",
        "accountLink", "things", "videoPlayComplete", "activated", "deactivated", "botSuspended",
        "botResumed", "membership", "module", "delivery",
    ]

    public static func parse(_ body: Data) throws(WebhookError) -> CapturedBody {
        let root: JSONValue
        do { root = try JSONValue.parse(body) } catch {
            throw malformed(error, in: body)
        }
        guard case .object(let members) = root else { throw .notAnObject }
        guard case .array(let rawEvents)? = members["events"] else { throw .missingEvents }
        var events: [CapturedEvent] = []
        events.reserveCapacity(rawEvents.count)
        for (index, raw) in rawEvents.enumerated() {
            guard case .object(let fields) = raw else { throw .eventNotAnObject(index: index) }
            events.append(event(fields))
        }
        return CapturedBody(destination: members["destination"]?.stringValue, events: events)
    }

    /// The body's `destination` (the bot user id it was sent to), or nil when the body is not a
    /// JSON object with one. What the shared webhook path routes by, before any signature check.
    public static func destination(of body: Data) -> String? {
        guard case .object(let members)? = try? JSONValue.parse(body),
              let destination = members["destination"]?.stringValue, !destination.isEmpty else { return nil }
        return destination
    }

    /// Rejects exactly the bodies `parse` rejects, with the same error, at a fraction of the
    /// cost: nothing is built. The receiver answers 400 from this before storing the bytes.
    public static func check(_ body: Data) throws(WebhookError) {
        let result = body.withUnsafeBytes { bytes in
            Result { () throws(JSONParseError) -> WebhookShape.Value in try JSONParser<WebhookShape>.parse(bytes) }
        }
        let root: WebhookShape.Value
        do { root = try result.get() } catch { throw malformed(error, in: body) }
        guard root.kind == .object else { throw .notAnObject }
        guard root.events == .array else { throw .missingEvents }
        if let index = root.eventsFirstNonObject { throw .eventNotAnObject(index: index) }
    }

    static func event(_ fields: [String: JSONValue]) -> CapturedEvent {
        // The fingerprint leaves out deliveryContext, so a redelivery matches its original.
        let (rawJSON, fingerprint) = JSONValue.canonicalJSON(object: fields, hashingWithout: "deliveryContext")

        let type = fields["type"]?.stringValue ?? ""
        let milliseconds = fields["timestamp"]?.int64Value
        // Outside the plausible range a timestamp is unusable: it would date the message absurdly
        // and could not be formatted.
        let timestamp = milliseconds.flatMap { Instant.plausibleEventTimes.contains($0) ? Instant(milliseconds: $0) : nil }
        let (chat, sender) = source(fields["source"])
        let eventId = fields["webhookEventId"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? "sha256:\(fingerprint)"

        var payload = self.payload(type: type, fields: fields, chat: chat)
        // A type TalkVault does not know may have any shape: it is kept raw whatever it lacks.
        if timestamp == nil, payload != .unknownType, !payload.isInvalid {
            payload = .invalid(reason: milliseconds == nil ? "missing timestamp" : "timestamp outside 1970 to 2200")
        }
        return CapturedEvent(
            eventId: eventId, type: type.isEmpty ? "(missing)" : type,
            timestamp: timestamp ?? Instant(milliseconds: 0),
            isRedelivery: fields["deliveryContext"]?["isRedelivery"]?.boolValue ?? false,
            mode: fields["mode"]?.stringValue, chat: chat, senderId: sender,
            rawJSON: rawJSON, fingerprint: fingerprint, payload: payload)
    }

    static func payload(type: String, fields: [String: JSONValue], chat: ChatRef?) -> CapturedEvent.Payload {
        switch type {
        case "message", "messageEdited":
            guard chat != nil else {
                // A source type LINE added since (not user, group or room) cannot be placed in a chat.
                if let sourceType = fields["source"]?["type"]?.stringValue, !sourceType.isEmpty,
                   ChatType(rawValue: sourceType) == nil {
                    return .unknownType
                }
                return .invalid(reason: "\(type) event without a usable source")
            }
            guard let message = fields["message"]?.objectValue else { return .invalid(reason: "\(type) event without a message") }
            guard let captured = self.message(message) else { return .invalid(reason: "message without id or type") }
            return type == "message" ? .message(captured) : .edit(captured)
        case "unsend":
            guard let id = fields["unsend"]?["messageId"]?.idValue else { return .invalid(reason: "unsend without messageId") }
            return .unsend(messageId: id)
        case "":
            return .invalid(reason: "event without a type")
        default:
            return knownOtherTypes.contains(type) ? .other : .unknownType
        }
    }

    static func message(_ fields: [String: JSONValue]) -> CapturedMessage? {
        guard let id = fields["id"]?.idValue, let lineType = fields["type"]?.stringValue, !lineType.isEmpty else { return nil }
        let kind = MessageKind(lineType: lineType)
        let provider = fields["contentProvider"]
        return CapturedMessage(
            id: id, lineType: lineType, kind: kind,
            text: kind == .text ? fields["text"]?.stringValue : nil,
            fileName: fields["fileName"]?.stringValue,
            fileSize: fields["fileSize"]?.int64Value,
            contentProvider: provider?["type"]?.stringValue ?? (kind.hasContent ? "line" : nil),
            originalContentURL: provider?["originalContentUrl"]?.stringValue,
            markAsReadToken: fields["markAsReadToken"]?.stringValue)
    }

    static func source(_ value: JSONValue?) -> (ChatRef?, String?) {
        guard let value, let type = value["type"]?.stringValue else { return (nil, nil) }
        let user = value["userId"]?.idValue
        switch type {
        case "user": return (user.map { ChatRef(type: .user, id: $0) }, user)
        case "group": return (value["groupId"]?.idValue.map { ChatRef(type: .group, id: $0) }, user)
        case "room": return (value["roomId"]?.idValue.map { ChatRef(type: .room, id: $0) }, user)
        default: return (nil, user)
        }
    }

    /// Locates a parse failure as line and column; the problem never quotes the body.
    static func malformed(_ error: JSONParseError, in body: Data) -> WebhookError {
        let (line, column) = TextPosition.lineAndColumn(ofUTF8Offset: error.offset, in: body)
        return .malformedJSON(line: line, column: column, problem: error.problem)
    }
}

extension CapturedEvent.Payload {
    var isInvalid: Bool {
        if case .invalid = self { return true }
        return false
    }
}
