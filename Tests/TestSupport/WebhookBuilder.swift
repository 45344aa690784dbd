import Foundation

/// Builds webhook bodies for tests, in LINE's shape.
public enum Webhook {
    public static func body(_ events: [[String: Any]], destination: String = "Ubot") -> Data {
        try! JSONSerialization.data(withJSONObject: ["destination": destination, "events": events], options: [.sortedKeys])
    }

    public static func source(user: String = "Uuser1", group: String? = nil, room: String? = nil) -> [String: Any] {
        if let group { return ["type": "group", "groupId": group, "userId": user] }
        if let room { return ["type": "room", "roomId": room, "userId": user] }
        return ["type": "user", "userId": user]
    }

    public static func event(_ type: String, id: String, at ms: Int64, source: [String: Any] = source(),
                             redelivery: Bool = false, extra: [String: Any] = [:]) -> [String: Any] {
        var event: [String: Any] = [
            "type": type, "mode": "active", "timestamp": ms, "source": source, "webhookEventId": id,
            "deliveryContext": ["isRedelivery": redelivery],
        ]
        for (key, value) in extra { event[key] = value }
        return event
    }

    public static func text(_ messageId: String, _ text: String, eventId: String, at ms: Int64,
                            source: [String: Any] = source(), redelivery: Bool = false) -> [String: Any] {
        event("message", id: eventId, at: ms, source: source, redelivery: redelivery,
              extra: ["message": ["id": messageId, "type": "text", "text": text, "markAsReadToken": "tok-\(messageId)"]])
    }

    public static func edit(_ messageId: String, _ text: String, eventId: String, at ms: Int64,
                            source: [String: Any] = source(group: "Cgroup")) -> [String: Any] {
        event("messageEdited", id: eventId, at: ms, source: source,
              extra: ["message": ["id": messageId, "type": "text", "text": text]])
    }

    public static func media(_ messageId: String, type: String, eventId: String, at ms: Int64,
                             source: [String: Any] = source(), extra: [String: Any] = [:]) -> [String: Any] {
        var message: [String: Any] = ["id": messageId, "type": type, "contentProvider": ["type": "line"]]
        for (key, value) in extra { message[key] = value }
        return event("message", id: eventId, at: ms, source: source, extra: ["message": message])
    }

    public static func unsend(_ messageId: String, eventId: String, at ms: Int64, source: [String: Any] = source()) -> [String: Any] {
        event("unsend", id: eventId, at: ms, source: source, extra: ["unsend": ["messageId": messageId]])
    }
}
