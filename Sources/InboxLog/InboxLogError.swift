import Foundation

/// Why the inbox log could not be written or read. Never quotes a body.
public enum InboxLogError: Error, Equatable, CustomStringConvertible {
    /// No space for a new segment; nothing of the batch was acknowledged.
    case diskFull(path: String)
    /// Another `serve` owns the log.
    case locked(path: String)
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case .diskFull(let path): return "disk full writing \(path); nothing of the failed batch was acknowledged"
        case .locked(let path): return "another talkvault serve owns the webhook inbox (lock \(path))"
        case .io(let path, let reason): return "\(path): \(reason)"
        }
    }

    static func failed(_ what: String, path: String, errno code: Int32 = errno) -> InboxLogError {
        if code == ENOSPC || code == EDQUOT { return .diskFull(path: path) }
        return .io(path: path, reason: "\(what) failed (\(String(cString: strerror(code))))")
    }
}
