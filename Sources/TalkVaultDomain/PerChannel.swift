/// One of something per channel (a client holding that channel's token, a rate limit), by
/// channel name. With a single channel, `fallback` serves every name, as before channels.
public struct PerChannel<Value: Sendable>: Sendable {
    public var byChannel: [String: Value]
    /// What a channel without its own gets; nil leaves it without.
    public var fallback: Value?

    /// The same value for every channel.
    public init(_ single: Value) {
        byChannel = [:]
        fallback = single
    }

    public init(_ byChannel: [String: Value], fallback: Value? = nil) {
        self.byChannel = byChannel
        self.fallback = fallback
    }

    public subscript(channel: String) -> Value? { byChannel[channel] ?? fallback }

    /// True when no channel has one.
    public var isEmpty: Bool { byChannel.isEmpty && fallback == nil }
}
