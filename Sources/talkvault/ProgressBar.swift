import Foundation
import Sweep

/// A one-line progress bar on stderr, only on a terminal.
final class ProgressBar: Sendable {
    let enabled: Bool

    init(enabled: Bool) { self.enabled = enabled }

    func show(_ progress: SweepProgress) {
        show(done: progress.done, total: progress.total, bytes: UInt64(progress.bytes))
    }

    func show(done: Int, total: Int, bytes: UInt64) {
        guard enabled, total > 0 else { return }
        let width = 30, filled = width * done / total
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        FileHandle.standardError.write(Data("\r[\(bar)] \(done)/\(total)  \(bytes / 1_048_576) MiB".utf8))
    }

    func end() {
        if enabled { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
