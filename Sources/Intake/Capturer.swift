import Foundation
import InboxLog
import LINE
import Ledger
import Store
import TalkVaultDomain

/// What happened to one webhook body.
public enum BodyResult: Sendable, Equatable {
    /// Its events are committed to the ledger.
    case stored(CaptureCounts)
    /// It was not a webhook body; nothing of it was stored.
    case rejected(WebhookError)
}

/// The one path from raw webhook bodies to the ledger, shared by `ingest` and `serve`: parse
/// each body, then store every parseable one in a single transaction.
public final class Capturer {
    public let ledger: Ledger
    let clock: any WallClock
    /// Whether new messages count as read on arrival (LINE's `markAsReadMode: auto`); the
    /// server learns it after start, so it can change while the writer runs.
    public let autoRead = AutoReadFlag()

    public init(ledger: Ledger, clock: any WallClock) {
        self.ledger = ledger
        self.clock = clock
    }

    /// Parses and stores `bodies`, returning one result per body in order. Throws only when
    /// the ledger write fails, in which case none of the batch was stored.
    public func capture(_ bodies: [Data], channel: String = ChannelName.implicit) throws(LedgerError) -> [BodyResult] {
        var results: [BodyResult?] = Array(repeating: nil, count: bodies.count)
        var parsed: [CapturedBody] = []
        var parsedIndex: [Int] = []
        for (index, body) in bodies.enumerated() {
            do {
                var body = try WebhookParser.parse(body)
                body.channel = channel
                parsed.append(body)
                parsedIndex.append(index)
            } catch {
                results[index] = .rejected(error)
            }
        }
        if !parsed.isEmpty {
            let counts = try store(parsed)
            for (slot, count) in zip(parsedIndex, counts) { results[slot] = .stored(count) }
        }
        return results.map { $0! }
    }

    /// Stores bodies already parsed with `WebhookParser` in one transaction.
    public func store(_ bodies: [CapturedBody]) throws(LedgerError) -> [CaptureCounts] {
        try ledger.captureStore.capture(bodies, receivedAt: clock.now(), autoRead: autoRead.value(for: bodies.first?.channel ?? ChannelName.implicit))
    }

    /// Appends checked, signed bodies to the ledger's inbox log and fsyncs them: what `serve`
    /// does before it answers 200.
    public func enqueue(_ bodies: [Data], to log: InboxLogWriter) throws(LedgerError) {
        try enqueue(bodies.map { ($0, ChannelName.implicit) }, to: log)
    }

    /// Appends checked bodies, each verified for its channel, as `enqueue(_:to:)`.
    public func enqueue(_ bodies: [(body: Data, channel: String)], to log: InboxLogWriter) throws(LedgerError) {
        let flag = autoRead
        do {
            try log.append(bodies.map { InboxEntry(body: $0.body, channel: $0.channel, autoRead: flag.value(for: $0.channel)) },
                           receivedAt: clock.now())
        } catch {
            throw LedgerError(error)
        }
    }

    /// Applies inbox bodies with the same capture as `capture`, without an fsync of its own:
    /// the bodies are already durable, and the next fsynced commit covers this one.
    public func applyInbox(limit: Int, yield: () -> Bool) throws(LedgerError) -> InboxApplied {
        try InboxApplier(ledger).apply(limit: limit, durable: false, yield: yield)
    }
}

/// Whether each channel's messages count as read on arrival (its `markAsReadMode`): set by one
/// task, read by the writer thread.
public final class AutoReadFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var auto: Set<String> = []
    public init() {}

    /// The implicit channel's flag.
    public var value: Bool {
        get { value(for: ChannelName.implicit) }
        set { set(newValue, for: ChannelName.implicit) }
    }

    public func value(for channel: String) -> Bool { lock.withLock { auto.contains(channel) } }

    public func set(_ value: Bool, for channel: String) {
        lock.withLock { if value { auto.insert(channel) } else { auto.remove(channel) } }
    }
}
