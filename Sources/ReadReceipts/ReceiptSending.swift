import Foundation
import LINEClient
import Ledger
import Store
import TalkVaultDomain

/// Sends the markAsRead calls LINE is owed. A failure stays queued for the next pass, so a
/// read is never lost on LINE's side either; a call LINE refuses (a token it did not issue) is
/// kept with its reason and not sent again, since no retry can change that answer.
public enum ReadReceipts {
    /// What one pass did.
    public struct Outcome: Sendable, Equatable, Codable {
        public var sent = 0
        public var failed = 0
        public var refused = 0
        /// Owed by a channel this run has no access token for: still owed.
        public var skipped = 0
        public init() {}
    }

    /// Sends what `store` owes, on the caller's actor (a store is not Sendable).
    public static func sendPending(from store: any ReadStateStore, client: MarkAsReadClient, clock: any WallClock,
                                   isolation: isolated (any Actor)? = #isolation) async throws(LedgerError) -> Outcome {
        try await sendPending(from: store, clients: PerChannel(client), clock: clock)
    }

    /// Sends what `store` owes, each call with the token of its message's channel. A channel
    /// without a client keeps its calls owed (`skipped`), for a run that has its token.
    public static func sendPending(from store: any ReadStateStore, clients: PerChannel<MarkAsReadClient>, clock: any WallClock,
                                   isolation: isolated (any Actor)? = #isolation) async throws(LedgerError) -> Outcome {
        var outcome = Outcome()
        for receipt in try store.pendingReceipts() {
            guard let client = clients[receipt.channel] else {
                outcome.skipped += 1
                continue
            }
            switch await client.markAsRead(token: receipt.token) {
            case .accepted:
                try store.recordReceipt(id: receipt.messageId, .sent, at: clock.now())
                outcome.sent += 1
            case .refused(let reason):
                try store.recordReceipt(id: receipt.messageId, .refused(reason), at: clock.now())
                outcome.refused += 1
            case .failed(let reason):
                try store.recordReceipt(id: receipt.messageId, .failed(reason), at: clock.now())
                outcome.failed += 1
            }
        }
        return outcome
    }

    /// Sends what the ledger at `ledgerPath` owes, through a connection of its own.
    public static func sendPending(ledgerPath: String, policy: RetentionPolicy, client: MarkAsReadClient,
                                   clock: any WallClock) async throws(LedgerError) -> Outcome {
        let ledger = try Ledger(path: ledgerPath, policy: policy, access: .readWrite(create: false))
        return try await sendPending(from: ledger.readState, client: client, clock: clock)
    }
}
