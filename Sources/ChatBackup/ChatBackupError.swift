/// Why a file is not read as a chat backup: the file and the line, and what is wrong there.
/// It never quotes a message's text.
public struct ChatBackupError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    /// 1-based; 0 when the whole file is at fault (it cannot be opened).
    public var line: Int
    public var problem: String

    public init(file: String, line: Int, problem: String) {
        self.file = file
        self.line = line
        self.problem = problem
    }

    public var description: String { line > 0 ? "\(file):\(line): \(problem)" : "\(file): \(problem)" }
}
