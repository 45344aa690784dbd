import Foundation

/// Writes a Codable value as pretty JSON with sorted keys, for `--json` outputs.
func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    FileHandle.standardOutput.write(try encoder.encode(value))
    FileHandle.standardOutput.write(Data("\n".utf8))
}

/// A progress line on a terminal while `find`'s indexes catch up, when that is a big job.
func indexingProgress(_ done: Int, _ total: Int) {
    guard total >= 10_000, isatty(STDERR_FILENO) == 1 else { return }
    FileHandle.standardError.write(Data("\rindexing messages for find: \(done)/\(total)".utf8))
    if done == total { FileHandle.standardError.write(Data("\n".utf8)) }
}

/// Stdout in 64 KiB writes: a million JSON lines should not be a million syscalls.
final class BufferedOutput {
    private var buffer: [UInt8] = []

    init() { buffer.reserveCapacity(1 << 16) }

    func write(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { flush() }
    }

    func flush() {
        guard !buffer.isEmpty else { return }
        FileHandle.standardOutput.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }
}
