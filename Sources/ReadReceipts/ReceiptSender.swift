import LINEClient
import Ledger
import Store
import Logging
import ServiceLifecycle
import TalkVaultDomain

/// Sends the markAsRead calls LINE is owed in the background while `serve` runs: poked after
/// each mark-read, so an HTTP answer never waits on LINE. What fails stays queued for the next
/// poke or sweep. Ends with the service group's graceful shutdown.
public final class ReceiptSender: Service, Sendable, CustomStringConvertible {
    private let pokes: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation
    private let ledgerPath: String
    private let policy: RetentionPolicy
    private let clients: PerChannel<MarkAsReadClient>
    private let clock: any WallClock
    private let logger: Logger

    public init(ledgerPath: String, policy: RetentionPolicy, clients: PerChannel<MarkAsReadClient>, clock: any WallClock, logger: Logger) {
        // One waiting poke is enough: a pass sends everything owed at its start.
        (pokes, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        self.ledgerPath = ledgerPath
        self.policy = policy
        self.clients = clients
        self.clock = clock
        self.logger = logger
    }

    /// Asks for a pass; returns at once.
    public func poke() { continuation.yield() }

    public func run() async throws {
        let ledger = try Ledger(path: ledgerPath, policy: policy, access: .readWrite(create: false))
        for await _ in pokes.cancelOnGracefulShutdown() {
            do {
                let outcome = try await ReadReceipts.sendPending(from: ledger.readState, clients: clients, clock: clock)
                if outcome.failed > 0 {
                    logger.warning("markAsRead calls failed; they stay queued for the next sweep", metadata: ["failed": "\(outcome.failed)"])
                }
            } catch {
                logger.error("markAsRead calls not sent; they stay queued", metadata: ["error": "\(error)"])
            }
        }
    }

    /// What ServiceLifecycle logs for this service: no client (it holds the access token).
    public var description: String { "ReceiptSender" }
}
