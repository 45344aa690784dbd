import JSON

/// The request path's check of a webhook body: the same grammar and the same rejections as
/// `WebhookParser.parse`, without building values. The receiver answers 400 from this, stores
/// the bytes, and parses them fully off the request path.
enum WebhookShape: JSONBuilder {
    /// What the check keeps of a value: its kind, and for an object its `events` member.
    struct Value {
        enum Kind { case scalar, object, array }
        var kind: Kind
        /// For an array: the index of its first element that is not an object.
        var firstNonObject: Int?
        /// For an object: its `events` member, as kind and first non-object element.
        var events: Kind?
        var eventsFirstNonObject: Int?
    }

    struct Items {
        var count = 0
        var firstNonObject: Int?
    }

    /// Whether the text is `events`: the only key the check looks at. (A literal, not a static
    /// array, whose lazy initialisation check ran for every key.)
    static func text(_ utf8: UnsafeRawBufferPointer) -> Bool { utf8.count == 6 && utf8.elementsEqual("events".utf8) }
    static func string(_ text: Bool) -> Value { Value(kind: .scalar) }
    static func members() -> Value { Value(kind: .object) }
    static func add(_ value: Value, for key: Bool, to members: inout Value) {
        // Like a dictionary, a repeated key's last value wins.
        guard key else { return }
        members.events = value.kind
        members.eventsFirstNonObject = value.firstNonObject
    }
    static func object(_ members: Value) -> Value { members }
    static func items() -> Items { Items() }
    static func append(_ value: Value, to items: inout Items) {
        if value.kind != .object, items.firstNonObject == nil { items.firstNonObject = items.count }
        items.count += 1
    }
    static func array(_ items: Items) -> Value { Value(kind: .array, firstNonObject: items.firstNonObject) }
    static func bool(_ value: Bool) -> Value { Value(kind: .scalar) }
    static func null() -> Value { Value(kind: .scalar) }
    static func int(_ value: Int64) -> Value { Value(kind: .scalar) }
    static func double(_ value: Double) -> Value { Value(kind: .scalar) }
}
