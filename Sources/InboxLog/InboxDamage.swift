import TalkVaultDomain

/// Damage found in the inbox log: acknowledged webhook bodies that can no longer be read. It
/// names the segment file and the bytes, never a body.
public struct InboxDamage: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        /// Bytes between whole records that hold no record: zeroed or overwritten.
        case unreadable
        /// The records stop before the segment's end mark: what followed was zeroed or overwritten.
        case cutShort = "cut_short"
        /// The file is shorter than it was written.
        case truncated
        /// A segment the log had at or after the applied position is gone.
        case missing
    }

    public var kind: Kind
    public var segment: UInt64
    /// Where in the segment the damage starts (0 for a missing segment).
    public var offset: Int
    /// How many bytes are lost, when known.
    public var bytes: Int?
    /// The receipt time of the last whole record before the damage, when there is one.
    public var after: Instant?

    public init(kind: Kind, segment: UInt64, offset: Int, bytes: Int? = nil, after: Instant? = nil) {
        self.kind = kind
        self.segment = segment
        self.offset = offset
        self.bytes = bytes
        self.after = after
    }

    /// The segment's file name in the inbox directory.
    public var file: String { SegmentDirectory.fileName(segment) }

    public var description: String {
        let lost = "acknowledged webhook bodies there are lost"
        let when = after.map { " (after the body received at \($0))" } ?? ""
        switch kind {
        case .unreadable:
            let end = bytes.map { offset + $0 } ?? offset
            return "inbox segment \(file): bytes \(offset)–\(end) (\(bytes ?? 0) bytes) hold no readable record\(when): \(lost)"
        case .cutShort:
            return "inbox segment \(file): its records stop at byte \(offset), before the end the writer marked\(when): \(lost)"
        case .truncated:
            return "inbox segment \(file) is cut short at \(offset) bytes" + (bytes.map { " (\($0) bytes missing)" } ?? "") + "\(when): \(lost)"
        case .missing:
            return "inbox segment \(file) is missing: every acknowledged webhook body in it is lost"
        }
    }
}
