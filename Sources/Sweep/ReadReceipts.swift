import Foundation
import LINEClient
import Ledger
import TalkVaultDomain

/// Sends the markAsRead calls LINE is owed. A failure stays queued for the next run, so a
/// read is never lost on LINE's side either; a call LINE refuses (a token it did not issue) is
/// kept with its reason and not sent again, since no retry can change that answer.
public enum ReadReceipts {
    /// What one pass did.
    public struct Outcome: Sendable, Equatable, Codable {
        public var sent = 0
        public var failed = 0
        public var refused = 0
        public init() {}
    }

    /// Sends what the ledger at `ledgerPath` owes, through its own connection.
    public static func sendPending(ledgerPath: String, policy: RetentionPolicy, client: MarkAsReadClient,
                                   clock: any WallClock) async throws -> Outcome {
        try await SweepLedger(path: ledgerPath, policy: policy).sendReceipts(client, clock: clock)
    }
}
