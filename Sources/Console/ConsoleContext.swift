import Hummingbird
import NIOCore

/// The request context of the console's routes: Hummingbird's basic one, plus the peer's
/// address, which the sign-in rate limits count by.
public struct ConsoleContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The peer's IP address, or "unknown".
    let peer: String

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peer = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }
}
