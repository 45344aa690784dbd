/// One problem in a config file, located at `file:line:col`.
public struct ConfigIssue: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    /// 1-based line; 0 when the problem has no position (the file itself).
    public var line: Int
    /// 1-based column, counted in Unicode scalars.
    public var column: Int
    /// The key path, like `windows.image`, or "" for the document.
    public var key: String
    public var message: String

    public init(file: String, line: Int, column: Int, key: String, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.key = key
        self.message = message
    }

    public var description: String {
        let place = line > 0 ? "\(file):\(line):\(column)" : file
        return key.isEmpty ? "\(place): \(message)" : "\(place): \(key): \(message)"
    }
}

/// Why a config could not be used.
public enum ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file could not be read.
    case unreadable(file: String, reason: String)
    /// The file was read but is not valid; every problem found is listed.
    case invalid([ConfigIssue])

    public var description: String {
        switch self {
        case .unreadable(let file, let reason): return "\(file): cannot read config: \(reason)"
        case .invalid(let issues): return issues.map(\.description).joined(separator: "\n")
        }
    }
}
