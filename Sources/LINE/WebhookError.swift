/// Why a webhook body was rejected as a whole. No case carries any of the body's text.
public enum WebhookError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The body is not JSON: where, and what was wrong.
    case malformedJSON(line: Int, column: Int, problem: String)
    /// The body is JSON but not an object.
    case notAnObject
    /// The body has no `events` array.
    case missingEvents
    /// An element of `events` is not an object.
    case eventNotAnObject(index: Int)

    public var description: String {
        switch self {
        case .malformedJSON(let line, let column, let problem):
            return "malformed JSON at line \(line), column \(column): \(problem)"
        case .notAnObject: return "the body is not a JSON object"
        case .missingEvents: return "the body has no \"events\" array"
        case .eventNotAnObject(let index): return "events[\(index)] is not an object"
        }
    }
}
