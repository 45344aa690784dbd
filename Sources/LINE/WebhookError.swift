/// Why a webhook body was rejected as a whole. No case carries any of the body's text.
public enum WebhookError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The body is not JSON; the position is given when the parser reported one.
    case malformedJSON(line: Int?, column: Int?)
    /// The body is JSON but not an object.
    case notAnObject
    /// The body has no `events` array.
    case missingEvents
    /// An element of `events` is not an object.
    case eventNotAnObject(index: Int)

    public var description: String {
        switch self {
        case .malformedJSON(let line, let column):
            if let line, let column { return "malformed JSON near line \(line), column \(column)" }
            return "malformed JSON"
        case .notAnObject: return "the body is not a JSON object"
        case .missingEvents: return "the body has no \"events\" array"
        case .eventNotAnObject(let index): return "events[\(index)] is not an object"
        }
    }
}
