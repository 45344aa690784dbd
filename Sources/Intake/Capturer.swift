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
    public func capture(_ bodies: [Data]) throws(LedgerError) -> [BodyResult] {
        var results: [BodyResult?] = Array(repeating: nil, count: bodies.count)
        var parsed: [CapturedBody] = []
        var parsedIndex: [Int] = []
        for (index, body) in bodies.enumerated() {
            do {
                parsed.append(try WebhookParser.parse(body))
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
        try ledger.captureStore.capture(bodies, receivedAt: clock.now(), autoRead: autoRead.value)
    }

    /// Appends checked, signed bodies to the ledger's inbox log and fsyncs them: what `serve`
    /// does before it answers 200.
    public func enqueue(_ bodies: [Data], to log: InboxLogWriter) throws(LedgerError) {
        do {
            try log.append(bodies, receivedAt: clock.now(), autoRead: autoRead.value)
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

/// A flag set by one task and read by the writer thread.
public final class AutoReadFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var stored = false

    public init() {}

    public var value: Bool {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
