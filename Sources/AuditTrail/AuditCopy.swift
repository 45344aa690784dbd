import DurableFile
import Foundation
import TalkVaultDomain

/// Copies of the log that leave the machine: each pack copies the entries appended since the
/// last one it copied, byte for byte, into the segment it writes (`audit/audit-F-L.jsonl`).
extension AuditLog {
    /// The last entry copied: its number and hash, and (a hint) where its line ends in the log.
    public struct Mark: Sendable, Equatable {
        public var seq: Int64
        public var hash: String
        /// The offset just past the entry's line feed, when known: the next copy starts there
        /// without reading the log from the start, once the line before it checks out.
        public var end: UInt64?

        public init(seq: Int64, hash: String, end: UInt64? = nil) {
            self.seq = seq
            self.hash = hash
            self.end = end
        }
    }

    /// A run of whole lines of the log not copied yet.
    public struct Span: Sendable, Equatable {
        /// The first and last entries' numbers, and how many entries the lines hold.
        public var first: Int64
        public var last: Int64
        public var entries: Int
        /// The lines' bytes in the log: from `offset`, `length` bytes, each line with its line feed.
        public var offset: UInt64
        public var length: UInt64
        /// What copying the span leaves as the last entry copied.
        public var mark: Mark

        /// The entry a segment holds it as.
        public var entryName: String { "audit/audit-\(first)-\(last).jsonl" }
    }

    /// The whole lines after the entry `mark` names, through the log's last entry; nil when
    /// there are none. Without a mark, or when the log no longer holds that entry with that
    /// hash (a log replaced or rewritten), every line is: the archives keep both versions.
    /// A line that is not an entry is copied as it is, between the entries around it; a last
    /// line without its line feed (an append in progress, or cut short) waits.
    public func unpacked(after mark: Mark?) throws(AuditError) -> Span? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .io(path: path, reason: "cannot open (\(Errno.text()))") }
        defer { close(fd) }
        // The hint: the mark's line ends where it says, so the copy starts there.
        if let mark, let end = mark.end, end > 0, try endsEntry(fd, at: end, mark) {
            var tally = Tally(start: end)
            try wholeLines(fd, from: end) { line, lineEnd in tally.add(line, end: lineEnd) }
            return tally.span
        }
        // Else from the start: after the last line holding the marked entry, or all of it.
        var all = Tally(start: 0), since: Tally?
        try wholeLines(fd, from: 0) { line, lineEnd in
            all.add(line, end: lineEnd)
            since?.add(line, end: lineEnd)
            if let mark, let entry = Self.entry(line), entry.seq == mark.seq, entry.hash == mark.hash { since = Tally(start: lineEnd) }
        }
        return (since ?? all).span
    }

    /// Streams the span's bytes to `body`, as they are in the log now.
    public func copy(_ span: Span, to body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw AuditError.io(path: path, reason: "cannot open (\(Errno.text()))") }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var done: UInt64 = 0
        while done < span.length {
            let want = Int(min(UInt64(buffer.count), span.length - done))
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, want, off_t(span.offset + done)) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw AuditError.io(path: path, reason: "the log is shorter than when it was read (\(Errno.text()))") }
            try buffer.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[..<n])) }
            done += UInt64(n)
        }
    }

    /// What a scan of lines found: where it started, its entries, and where its last entry ends.
    private struct Tally {
        var start: UInt64
        var first: Int64?
        var last: AuditEntry?
        var end: UInt64 = 0
        var entries = 0

        mutating func add(_ line: ArraySlice<UInt8>, end lineEnd: UInt64) {
            guard let entry = AuditLog.entry(line) else { return }
            if first == nil { first = entry.seq }
            last = entry
            end = lineEnd
            entries += 1
        }

        var span: Span? {
            guard let first, let last else { return nil }
            return Span(first: first, last: last.seq, entries: entries, offset: start, length: end - start,
                        mark: Mark(seq: last.seq, hash: last.hash, end: end))
        }
    }

    private static func entry(_ line: ArraySlice<UInt8>) -> AuditEntry? { AuditEntry(line: String(decoding: line, as: UTF8.self)) }

    /// True when the byte before `end` is a line feed ending the line of the entry `mark` names.
    private func endsEntry(_ fd: Int32, at end: UInt64, _ mark: Mark) throws(AuditError) -> Bool {
        var start = off_t(end) - 1, byte: UInt8 = 0
        guard pread(fd, &byte, 1, start) == 1, byte == 10 else { return false }
        var line: [UInt8] = []
        // Back from the line feed a block at a time to the one before it, or the file's start.
        while start > 0 {
            let length = Int(min(4096, start))
            var block = [UInt8](repeating: 0, count: length)
            let n = block.withUnsafeMutableBytes { pread(fd, $0.baseAddress, length, start - off_t(length)) }
            guard n == length else { throw .io(path: path, reason: "read failed (\(Errno.text()))") }
            if let cut = block.lastIndex(of: 10) {
                line = Array(block[(cut + 1)...]) + line
                break
            }
            line = block + line
            start -= off_t(length)
            if line.count > 1 << 20 { return false }
        }
        guard let entry = Self.entry(line[...]) else { return false }
        return entry.seq == mark.seq && entry.hash == mark.hash
    }

    /// Each whole line from `offset` on, without its line feed, with the offset just past it.
    private func wholeLines(_ fd: Int32, from offset: UInt64, _ body: (ArraySlice<UInt8>, UInt64) throws(AuditError) -> Void) throws(AuditError) {
        var pending: [UInt8] = [], pendingStart = offset, position = offset
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(position)) }
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { throw .io(path: path, reason: "read failed (\(Errno.text()))") }
            guard n > 0 else { return }
            position += UInt64(n)
            pending.append(contentsOf: chunk[..<n])
            var start = pending.startIndex
            while let cut = pending[start...].firstIndex(of: 10) {
                try body(pending[start..<cut], pendingStart + UInt64(cut + 1))
                start = cut + 1
            }
            pending.removeSubrange(..<start)
            pendingStart += UInt64(start)
        }
    }
}
