import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import NIOCore
import TalkVaultDomain

/// A running simulator. Tests and the demo start one in-process on port 0; the
/// `line-simulator serve` command runs the same application until SIGTERM.
public final class SimulatorServer: Sendable {
    /// `http://host:port`, the base URL for both LINE API hosts (`api.line.me`, `api-data.line.me`).
    public let baseURL: String
    public let state: SimulatorState
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    private init(baseURL: String, state: SimulatorState, group: ServiceGroup, task: Task<Void, any Error>) {
        self.baseURL = baseURL
        self.state = state
        self.group = group
        self.task = task
    }

    /// The application `line-simulator serve` runs; `onRunning` receives the bound port.
    public static func buildApplication(state: SimulatorState, host: String, port: Int, logger: Logger,
                                        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        Application(
            router: SimulatorRoutes.buildRouter(state: state),
            configuration: .init(address: .hostname(host, port: port), serverName: "line-simulator"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
            logger: logger)
    }

    /// Starts a simulator on `host` and a free port, and returns once it accepts connections.
    public static func start(config: SimulatorConfig, host: String = "127.0.0.1", clock: any WallClock = SystemClock(),
                             logger: Logger = Logger(label: "line-simulator")) async throws -> SimulatorServer {
        let state = SimulatorState(config: config, clock: clock)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = buildApplication(state: state, host: host, port: 0, logger: logger) { port in
            continuation.yield(port)
            continuation.finish()
        }
        // In a service group of its own, so it stops the way `line-simulator serve` does on SIGTERM.
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let task = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            await group.triggerGracefulShutdown()
            _ = await task.result
            throw SimulatorError.didNotStart
        }
        return SimulatorServer(baseURL: "http://\(host):\(port)", state: state, group: group, task: task)
    }

    /// Stops accepting connections, lets requests in flight finish, and waits for the server.
    public func stop() async {
        await group.triggerGracefulShutdown()
        _ = await task.result
    }
}

public enum SimulatorError: Error, CustomStringConvertible {
    case didNotStart
    case registrationFailed(status: Int)
    /// Messages were registered under a channel the simulator does not serve.
    case unknownChannel(String)

    public var description: String {
        switch self {
        case .didNotStart: return "the simulator did not start"
        case .registrationFailed(let status): return "the simulator refused the message registration (HTTP \(status))"
        case .unknownChannel(let name):
            return "the simulator serves no channel \"\(name)\" (start it with `line-simulator serve --channel \(name)`)"
        }
    }
}
