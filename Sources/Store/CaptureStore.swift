import TalkVaultDomain

/// Capture: the events and messages of webhook bodies, stored exactly once.
public protocol CaptureStore {
    /// Stores the events of several webhook bodies in one transaction (one fsync), and returns
    /// what each body did. Idempotent: storing the same events again changes nothing but the
    /// delivery counts. All of the batch is committed, or none of it.
    /// - Parameter autoRead: LINE's `markAsReadMode` is `auto`: new messages count as read on arrival.
    func capture(_ bodies: [CapturedBody], receivedAt: Instant, autoRead: Bool) throws(LedgerError) -> [CaptureCounts]
    /// The bot user id (`destination`) each channel's verified bodies carried, by channel name:
    /// how the shared webhook path knows a channel it was not told about.
    func channelDestinations() throws(LedgerError) -> [String: String]
}

extension CaptureStore {
    /// Stores bodies whose messages are unread on arrival.
    public func capture(_ bodies: [CapturedBody], receivedAt: Instant) throws(LedgerError) -> [CaptureCounts] {
        try capture(bodies, receivedAt: receivedAt, autoRead: false)
    }
}
