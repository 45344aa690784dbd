/// An error from compressing or inflating gzip data. It never carries the data itself.
public enum GzipError: Error, Equatable, CustomStringConvertible, Sendable {
    /// zlib refused to start a stream (bad level, out of memory).
    case initialization(code: Int32)
    /// The input is not gzip, or its bytes or CRC-32 do not check out.
    case corrupt(detail: String)
    /// The input ended in the middle of a gzip member.
    case truncated
    /// An unexpected zlib return code.
    case zlib(code: Int32)

    public var description: String {
        switch self {
        case .initialization(let code): return "zlib could not start a stream (code \(code))"
        case .corrupt(let detail): return "corrupt gzip data: \(detail)"
        case .truncated: return "gzip data ends in the middle of a member"
        case .zlib(let code): return "zlib error \(code)"
        }
    }
}
