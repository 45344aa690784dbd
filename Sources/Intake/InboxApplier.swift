import Foundation
import InboxLog
import LINE
import Ledger
import Store
import TalkVaultDomain

/// What one pass over the inbox applied.
public struct InboxApplied: Sendable, Equatable {
    /// Bodies taken off the inbox, rejected ones included.
    public var bodies = 0
    /// Their size in bytes.
    public var bytes = 0
    /// Bodies the full parse or the schema refused: moved to `inbox_rejected`.
    public var rejected = 0
    public var counts = CaptureCounts()
    /// The oldest applied body's receipt time, to report how far behind the apply runs.
    public var oldestReceivedAt: Instant?
    /// The inbox log's applied position after the pass.
    public var position = InboxPosition.start
    /// Damage to the log this pass found for the first time (recorded in `inbox_damage`).
    public var damage: [InboxDamage] = []

    public init() {}
}

/// Applies the webhook bodies `serve` acknowledged (the inbox log beside the ledger) to the
/// ledger, through the same parse and capture as `ingest`. Every command that writes applies
/// the whole inbox first, so it sees every acknowledged event even when `serve` is down or
/// behind; `serve`'s writer applies it as it goes.
public struct InboxApplier {
    public let ledger: Ledger

    public init(_ ledger: Ledger) { self.ledger = ledger }

    /// The inbox log beside the ledger, which `serve` appends to (`InboxLogWriter`).
    public var directory: SegmentDirectory { SegmentDirectory(ledgerPath: ledger.path) }

    /// Applies inbox bodies oldest first, in one transaction, and records how far it got in
    /// that transaction: each body is applied exactly once, even when a crash or another
    /// process interrupts. Bodies left in the table older versions used come first (and are
    /// deleted), then the log from the recorded position. Holds one body in memory at a time.
    /// - Parameters:
    ///   - limit: the most bodies to apply.
    ///   - durable: fsync the commit. Without it a power loss can undo the apply and its
    ///     position together, so nothing is lost: the bodies are applied again.
    ///   - yield: asked after each body; true ends the pass early (someone waits for the writer).
    public func apply(limit: Int = 1_000, durable: Bool = true, yield: () -> Bool = { false }) throws(LedgerError) -> InboxApplied {
        try ledger.inboxStore.applyTransaction(durable: durable) { batch in
            var pass = Pass(batch: batch)
            var last: Int64 = 0
            var yielded = false
            while !yielded, pass.result.bodies < limit, let legacy = try batch.legacyBody(after: last) {
                last = legacy.seq
                try pass.apply(legacy.body, receivedAt: legacy.receivedAt, autoRead: legacy.autoRead)
                yielded = yield()
            }
            if last > 0 { try batch.deleteLegacyBodies(through: last) }
            let start = try batch.position()
            pass.result.position = start
            let reader = try Self.reading { () throws(InboxLogError) in try InboxLogReader(directory: directory, from: start) }
            while !yielded, pass.result.bodies < limit,
                  let record = try Self.reading({ () throws(InboxLogError) in try reader.next() }) {
                try pass.record(reader.takeFindings())
                if record.damaged {
                    try pass.setAside(record.body, receivedAt: record.receivedAt,
                                      problem: "damaged in the inbox log (its checksum does not match)")
                } else {
                    try pass.apply(record.body, receivedAt: record.receivedAt, autoRead: record.autoRead, channel: record.channel)
                }
                pass.result.position = record.end
                yielded = yield()
            }
            // Damage met after the last record (a missing newest segment, a cut-short tail).
            try pass.record(reader.takeFindings())
            if pass.result.position != start { try batch.setPosition(pass.result.position) }
            return pass.result
        }
    }

    /// Applies the whole inbox, a transaction per `chunk` bodies. Small chunks keep a running
    /// `serve` from waiting long for the write lock.
    @discardableResult
    public func applyAll(chunk: Int = 50) throws(LedgerError) -> InboxApplied {
        var total = InboxApplied()
        while true {
            let pass = try apply(limit: chunk)
            total.damage += pass.damage
            guard pass.bodies > 0 else { return total }
            total.bodies += pass.bodies
            total.bytes += pass.bytes
            total.rejected += pass.rejected
            total.counts.add(pass.counts)
            total.oldestReceivedAt = total.oldestReceivedAt ?? pass.oldestReceivedAt
        }
    }

    /// Bodies waiting to be applied (in the log, and in the table older versions used), and
    /// their bytes. Reads the log through, one body at a time.
    public func size() throws(LedgerError) -> (bodies: Int, bytes: Int) {
        let legacy = try ledger.inboxStore.legacyInboxSize()
        let start = try ledger.inboxStore.inboxPosition()
        let log = try Self.reading { () throws(InboxLogError) in try InboxLogReader(directory: directory, from: start).backlog() }
        return (legacy.bodies + log.bodies, legacy.bytes + log.bytes)
    }

    /// Runs a read of the log, its failures in the ledger's terms.
    static func reading<T>(_ read: () throws(InboxLogError) -> T) throws(LedgerError) -> T {
        do { return try read() } catch { throw LedgerError(error) }
    }

    /// One apply transaction's tally.
    private struct Pass {
        let batch: InboxBatch
        var result = InboxApplied()

        /// Parses and stores one body; a body the parse or the schema refuses is set aside in
        /// `inbox_rejected`. Disk and lock failures throw and end the pass.
        mutating func apply(_ body: [UInt8], receivedAt: Instant, autoRead: Bool, channel: String = ChannelName.implicit) throws {
            var parsed: CapturedBody
            do throws(WebhookError) {
                parsed = try WebhookParser.parse(Data(body))
            } catch {
                try setAside(body, receivedAt: receivedAt, problem: error.description)
                return
            }
            parsed.channel = channel
            count(body, receivedAt: receivedAt)
            switch try batch.store(parsed, receivedAt: receivedAt, autoRead: autoRead) {
            case .stored(let counts): result.counts.add(counts)
            case .refused(let problem):
                result.rejected += 1
                try batch.setAside(body, receivedAt: receivedAt, problem: problem)
            }
        }

        /// Keeps a body that cannot be applied in `inbox_rejected`, with why, and counts it.
        mutating func setAside(_ body: [UInt8], receivedAt: Instant, problem: String) throws {
            count(body, receivedAt: receivedAt)
            result.rejected += 1
            try batch.setAside(body, receivedAt: receivedAt, problem: problem)
        }

        private mutating func count(_ body: [UInt8], receivedAt: Instant) {
            result.bodies += 1
            result.bytes += body.count
            if result.oldestReceivedAt == nil { result.oldestReceivedAt = receivedAt }
        }

        /// Keeps damage the reader found; the segment it is in will be recycled.
        mutating func record(_ findings: [InboxDamage]) throws {
            for damage in findings where try batch.record(damage) { result.damage.append(damage) }
        }
    }
}

extension LedgerError {
    /// The inbox log's failures, in the ledger's terms (and so its exit codes).
    public init(_ error: InboxLogError) {
        switch error {
        case .diskFull(let path): self = .diskFull(path: path)
        case .locked(let path): self = .inboxLocked(path: path)
        case .io(let path, let reason): self = .io(path: path, reason: reason)
        }
    }
}
