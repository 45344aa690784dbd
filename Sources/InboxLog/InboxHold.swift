import Foundation

/// Segments the log keeps for readers besides the apply: each relay target holds the segment
/// its position is in, and the writer neither reuses nor deletes a segment at or above the
/// lowest hold. A target that is down keeps its backlog on disk until it is delivered or dead.
public final class InboxHold: @unchecked Sendable {
    private let lock = NSLock()
    private var holds: [String: UInt64] = [:]

    public init() {}

    /// `holder` needs every segment from `segment` on.
    public func hold(_ holder: String, from segment: UInt64) {
        lock.withLock { holds[holder] = segment }
    }

    /// `holder` needs nothing any more.
    public func release(_ holder: String) {
        lock.withLock { _ = holds.removeValue(forKey: holder) }
    }

    /// The lowest segment any holder needs; `UInt64.max` when nobody holds one.
    public var lowest: UInt64 { lock.withLock { holds.values.min() ?? .max } }
}
