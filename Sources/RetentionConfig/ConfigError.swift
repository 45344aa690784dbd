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

    /// A key path longer than `maxKeyCharacters` is cut (an unknown key can be any length).
    public init(file: String, line: Int, column: Int, key: String, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.key = Self.clip(key, to: Self.maxKeyCharacters)
        self.message = message
    }

    /// How much of a key path an issue names.
    static let maxKeyCharacters = 64
    /// How much of a value from the file an issue quotes.
    static let maxQuotedCharacters = 40

    /// `text` cut to `limit` characters, with an ellipsis when something was cut: an error
    /// quotes enough to find what it means, never a whole 10 MB value.
    static func clip(_ text: String, to limit: Int = maxQuotedCharacters) -> String {
        guard let end = text.index(text.startIndex, offsetBy: limit, limitedBy: text.endIndex), end != text.endIndex else {
            return text
        }
        return String(text[..<end]) + "…"
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
