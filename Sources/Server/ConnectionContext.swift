import Hummingbird
import NIOCore

/// The request context of `serve`'s routes: Hummingbird's basic one, plus the connection, so a
/// request refused before its body was read can have its connection closed rather than drained.
public struct ConnectionContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// Stops reading the request: the response is still written, then the connection closes
    /// instead of reading a body whose sender may trickle it in for as long as it likes. Should
    /// the half-closed connection linger (its sender still sending), it is closed outright a
    /// moment later, by when the response has gone.
    func stopReading() {
        channel.close(mode: .input, promise: nil)
        let channel = self.channel
        channel.eventLoop.scheduleTask(in: .seconds(2)) { channel.close(promise: nil) }
    }
}
