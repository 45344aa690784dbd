import Foundation
import InboxLog
import Ledger
import Store
import TalkVaultDomain

/// One target's connection to the ledger and its reader of the inbox log, used only on the
/// target's own serial queue (hence `@unchecked Sendable`): SQLite's waits (another process
/// holding the lock, an fsync per body) and file reads never occupy the cooperative threads
/// that answer LINE.
final class TargetIO: @unchecked Sendable {
    let ledgerPath: String
    private let policy: RetentionPolicy
    private let directory: SegmentDirectory
    private let queue: DispatchQueue
    private var ledger: Ledger?
    private var reader: InboxLogReader?

    init(name: String, ledgerPath: String, policy: RetentionPolicy, directory: SegmentDirectory) {
        self.ledgerPath = ledgerPath
        self.policy = policy
        self.directory = directory
        queue = DispatchQueue(label: "talkvault.relay.\(name)")
    }

    /// Runs `body` on the target's queue.
    func perform<T: Sendable>(_ body: @escaping @Sendable (TargetIO) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body(self) }) }
        }
    }

    /// Runs `body` on the target's queue.
    func perform<T: Sendable>(_ body: @escaping @Sendable (TargetIO) -> T) async -> T {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: body(self)) }
        }
    }

    /// Forgets the connection and the reader after a failure; the next pass opens them again.
    func reset() { queue.async { self.ledger = nil; self.reader = nil } }

    // On the queue only:

    func store() throws -> LedgerRelay {
        if let ledger { return ledger.relayStore }
        // Commits without an fsync of their own (WAL, synchronous=NORMAL): a kill -9 keeps them, and
        // a power loss can only take the position back, which sends bodies again, never skips one.
        // An fsync per relayed body would cost LINE's answers a second disk flush per request.
        let opened = try Ledger(path: ledgerPath, policy: policy, access: .readWrite(create: false), synchronous: .normal)
        ledger = opened
        return opened.relayStore
    }

    func openReader(from position: InboxPosition) throws { reader = try InboxLogReader(directory: directory, from: position) }

    func next() throws -> InboxRecord? { try reader?.next() }

    func takeFindings() -> [InboxDamage] { reader?.takeFindings() ?? [] }

    /// Bodies in the log from `position` on.
    func count(from position: InboxPosition) throws -> Int {
        try InboxLogReader(directory: directory, from: position).backlog().bodies
    }
}
