import DurableFile

/// Why an archive operation failed. Paths are relative to the archive dir where possible;
/// no error carries message text or content bytes.
public enum ArchiveError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A file could not be read, written, synced or renamed.
    case io(path: String, reason: String)
    /// The segment is not what its manifest or trailer says.
    case damaged(segment: String, detail: String)
    /// An entry's bytes do not match its recorded SHA-256 or CRC-32.
    case checksumMismatch(segment: String, entry: String)
    /// A staged content file does not match what the download recorded.
    case stagedFileMismatch(messageId: String, detail: String)
    /// The requested entry or record is not in the segment.
    case notFound(segment: String, what: String)

    public var description: String {
        switch self {
        case .io(let path, let reason): return "\(path): \(reason)"
        case .damaged(let segment, let detail): return "\(segment): damaged: \(detail)"
        case .checksumMismatch(let segment, let entry): return "\(segment): \(entry): checksum mismatch"
        case .stagedFileMismatch(let id, let detail): return "staged content of message \(id): \(detail)"
        case .notFound(let segment, let what): return "\(segment): no \(what)"
        }
    }
}

extension ArchiveError {
    /// A durable-file failure, as the archive reports it.
    public init(_ error: DurableFileError) { self = .io(path: error.path, reason: error.reason) }
}
