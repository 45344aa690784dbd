import Foundation

/// One webhook body read from an input, with the line it starts on.
public struct NumberedBody: Sendable {
    public var line: Int
    public var data: Data
}

/// Reads webhook bodies from a file descriptor: either one JSON document (which may span lines,
/// like a pretty-printed body) or JSONL with one body per line. JSONL is streamed; a single
/// document is read whole, up to `maxDocumentBytes`.
///
/// The rule: if the first non-blank line is JSON on its own, the input is JSONL. Otherwise the
/// whole input is tried as one document; if that fails too, it is read as JSONL after all, so a
/// broken first line rejects only itself.
public struct BodyReader: ~Copyable {
    private var lines: LineReader
    public static let maxDocumentBytes = 64 << 20

    public init(fileDescriptor: Int32) {
        lines = LineReader(fileDescriptor: fileDescriptor)
    }

    /// Calls `body` for each input body, or with a parse failure for a document that is neither.
    public mutating func forEach(_ body: (NumberedBody) throws -> Void) throws {
        var first: (Int, Data)?
        while let (number, line) = try lines.next() {
            if !Self.isBlank(line) { first = (number, line); break }
        }
        guard let (firstNumber, firstLine) = first else { return }

        if Self.isJSON(firstLine) {
            try body(NumberedBody(line: firstNumber, data: firstLine))
            try streamRest(body)
            return
        }
        // Not JSON alone: gather lines to try the whole input as one document.
        var gathered: [(Int, Data)] = [(firstNumber, firstLine)]
        var total = firstLine.count
        while total <= Self.maxDocumentBytes, let next = try lines.next() {
            gathered.append(next)
            total += next.1.count + 1
        }
        let whole = gathered.map(\.1).reduce(into: Data()) { $0.append($1); $0.append(0x0A) }
        if total <= Self.maxDocumentBytes, Self.isJSON(whole) {
            try body(NumberedBody(line: firstNumber, data: whole))
            return
        }
        let jsonLines = gathered.dropFirst().filter { !Self.isBlank($0.1) && Self.isJSON($0.1) }
        if jsonLines.isEmpty && total <= Self.maxDocumentBytes {
            // Nothing on its own line parses either: report one broken document, not every line.
            try body(NumberedBody(line: firstNumber, data: whole))
            return
        }
        for (number, line) in gathered where !Self.isBlank(line) {
            try body(NumberedBody(line: number, data: line))
        }
        try streamRest(body)
    }

    private mutating func streamRest(_ body: (NumberedBody) throws -> Void) throws {
        while let (number, line) = try lines.next() {
            if !Self.isBlank(line) { try body(NumberedBody(line: number, data: line)) }
        }
    }

    static func isBlank(_ data: Data) -> Bool {
        data.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D || $0 == 0x0A }
    }

    static func isJSON(_ data: Data) -> Bool {
        (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) != nil
    }
}

/// Splits a file descriptor into lines without holding more than one line and one buffer.
struct LineReader: ~Copyable {
    let fd: Int32
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)
    private var pending = Data()
    private var start = 0
    private var end = 0
    private var eof = false
    private var lineNumber = 0

    init(fileDescriptor: Int32) { fd = fileDescriptor }

    /// The next line (without its newline) and its 1-based number, or nil at the end.
    mutating func next() throws -> (Int, Data)? {
        while true {
            if start < end, let newline = buffer[start..<end].firstIndex(of: 0x0A) {
                pending.append(contentsOf: buffer[start..<newline])
                start = newline + 1
                return emit()
            }
            pending.append(contentsOf: buffer[start..<end])
            start = 0
            end = 0
            if eof {
                return pending.isEmpty ? nil : emit()
            }
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            }
            if count == 0 { eof = true } else { end = count }
        }
    }

    private mutating func emit() -> (Int, Data) {
        lineNumber += 1
        var line = pending
        pending = Data()
        if line.last == 0x0D { line.removeLast() }
        return (lineNumber, line)
    }
}
