import DurableFile
import Foundation
import TalkVaultDomain

/// The audit trail: an append-only, hash-chained log of every action that reads content or
/// changes what is kept, one canonical JSON line per entry in `<data dir>/audit/audit.jsonl`.
/// Appends are serialized by an flock on the file and fsynced before the action's result is
/// reported; a line edited, removed or reordered breaks the chain, which `verify` names.
public struct AuditLog: Sendable {
    public let path: String

    /// The log of the data dir `dataDir`.
    public init(dataDir: String) {
        path = dataDir + "/audit/audit.jsonl"
    }

    /// What to record; the log numbers, dates and chains it.
    public struct Record: Sendable {
        public var action: String
        public var who: String
        public var target: [String]
        public var reason: String?
        public var outcome: String

        public init(action: String, who: String, target: [String], reason: String? = nil, outcome: String) {
            self.action = action
            self.who = who
            self.target = target
            self.reason = reason
            self.outcome = outcome
        }
    }

    /// Throws unless an entry could be appended now: the log opens, locks, and ends in a whole
    /// entry. Checked before an action, so an action whose entry cannot be written does not run.
    public func checkWritable() throws(AuditError) {
        _ = try withLastEntry { _, _ in }
    }

    /// Opens the log, locks it (two commands appending at once would both chain to the same
    /// last entry), cuts off an unfinished line, and hands `body` the file and its last entry.
    func withLastEntry<T>(_ body: (Int32, AuditEntry?) throws(AuditError) -> T) throws(AuditError) -> T {
        let directory = (path as NSString).deletingLastPathComponent
        do { try Durable.makeDirectories(directory) } catch { throw .io(path: directory, reason: "\(error)") }
        let fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw .io(path: path, reason: "cannot open (\(Errno.text()))") }
        defer { close(fd) }
        guard flock(fd, LOCK_EX) == 0 else { throw .io(path: path, reason: "cannot lock (\(Errno.text()))") }
        try dropUnfinishedLine(fd)
        let last = try lastLine(fd)
        let previous = last.flatMap(AuditEntry.init(line:))
        if last != nil, previous == nil { throw .damaged(path: path, line: nil, problem: "its last line is not an entry") }
        return try body(fd, previous)
    }

    /// Appends `record` at `now`, chained to the last entry, and fsyncs it.
    @discardableResult
    public func append(_ record: Record, at now: Instant) throws(AuditError) -> AuditEntry {
        let isNew = !FileManager.default.fileExists(atPath: path)
        return try withLastEntry { fd, previous throws(AuditError) in try appendLine(record, at: now, after: previous, to: fd, isNew: isNew) }
    }

    func appendLine(_ record: Record, at now: Instant, after previous: AuditEntry?, to fd: Int32, isNew: Bool) throws(AuditError) -> AuditEntry {
        var entry = AuditEntry(seq: (previous?.seq ?? 0) + 1, at: now, action: record.action, who: record.who, target: record.target,
                               reason: record.reason, outcome: record.outcome, previous: previous?.hash ?? AuditHash.genesis)
        entry.hash = entry.computedHash
        let bytes = Array((entry.line + "\n").utf8)
        var done = 0
        while done < bytes.count {
            let n = bytes[done...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(path: path, reason: "write failed (\(Errno.text()))")
            }
            done += n
        }
        guard fsync(fd) == 0 else { throw .io(path: path, reason: "fsync failed (\(Errno.text()))") }
        if isNew { try? Durable.syncDirectory((path as NSString).deletingLastPathComponent) }
        return entry
    }

    /// A line without its line feed at the end is an append a crash (or a full disk) cut short:
    /// never fsynced whole, so the command that wrote it failed. It is cut off, and the chain goes
    /// on from the last whole entry.
    private func dropUnfinishedLine(_ fd: Int32) throws(AuditError) {
        let size = lseek(fd, 0, SEEK_END)
        guard size > 0 else { return }
        var byte: UInt8 = 0
        guard pread(fd, &byte, 1, size - 1) == 1 else { throw .io(path: path, reason: "read failed (\(Errno.text()))") }
        guard byte != 10 else { return }
        // A whole entry that lacks only its line feed keeps its place: the line feed is added.
        if let last = try lastLine(fd), AuditEntry(line: last) != nil {
            guard write(fd, [UInt8(10)], 1) == 1, fsync(fd) == 0 else { throw .io(path: path, reason: "write failed (\(Errno.text()))") }
            return
        }
        var end = size - 1
        while end > 0 {
            guard pread(fd, &byte, 1, end - 1) == 1 else { throw .io(path: path, reason: "read failed (\(Errno.text()))") }
            if byte == 10 { break }
            end -= 1
        }
        guard ftruncate(fd, end) == 0, fsync(fd) == 0 else { throw .io(path: path, reason: "cannot cut an unfinished line (\(Errno.text()))") }
    }

    /// The file's last line, without its line feed; nil for an empty file.
    private func lastLine(_ fd: Int32) throws(AuditError) -> String? {
        let size = lseek(fd, 0, SEEK_END)
        guard size > 0 else { return nil }
        var end = size, tail: [UInt8] = []
        // Back from the end a block at a time until a line feed before the last one.
        while end > 0 {
            let length = Int(min(4096, end))
            var block = [UInt8](repeating: 0, count: length)
            let n = block.withUnsafeMutableBytes { pread(fd, $0.baseAddress, length, end - off_t(length)) }
            guard n == length else { throw .io(path: path, reason: "read failed (\(Errno.text()))") }
            tail = block + tail
            end -= off_t(length)
            let body = tail.last == 10 ? tail.dropLast() : tail[...]
            if let cut = body.lastIndex(of: 10) { return String(decoding: body[(cut + 1)...], as: UTF8.self) }
            if tail.count > 1 << 20 { throw .damaged(path: path, line: nil, problem: "its last line is over 1 MiB") }
        }
        let body = tail.last == 10 ? tail.dropLast() : tail[...]
        return String(decoding: body, as: UTF8.self)
    }

    /// Every entry, oldest first, streamed; a line that is not an entry is an error naming it.
    public func entries(_ body: (AuditEntry) throws -> Void) throws {
        guard FileManager.default.fileExists(atPath: path) else { return }
        guard let file = FileHandle(forReadingAtPath: path) else { throw AuditError.io(path: path, reason: "cannot open") }
        defer { try? file.close() }
        var pending: [UInt8] = [], number = 0
        func emit(_ line: ArraySlice<UInt8>) throws {
            number += 1
            guard let entry = AuditEntry(line: String(decoding: line, as: UTF8.self)) else {
                throw AuditError.damaged(path: path, line: number, problem: "not an audit entry")
            }
            try body(entry)
        }
        while let chunk = try file.read(upToCount: 1 << 16), !chunk.isEmpty {
            pending.append(contentsOf: chunk)
            var start = pending.startIndex
            while let cut = pending[start...].firstIndex(of: 10) {
                try emit(pending[start..<cut])
                start = cut + 1
            }
            pending.removeSubrange(..<start)
        }
        if !pending.isEmpty { try emit(pending[...]) }
    }

    /// Checks the chain: numbering, links and hashes. The first bad entry is named by its line.
    public func verify() -> AuditVerification {
        var result = AuditVerification()
        var chain = AuditChain()
        do {
            try entries { entry in
                guard result.problem == nil else { return }
                if let problem = chain.check(entry) { result.problem = .init(line: chain.checked + 1, problem: problem) }
                result.entries = chain.checked
            }
        } catch let error as AuditError {
            guard result.problem == nil else { return result }
            if case .damaged(_, let line, let problem) = error { result.problem = .init(line: line ?? 0, problem: problem) }
            else { result.problem = .init(line: 0, problem: error.description) }
        } catch {
            if result.problem == nil { result.problem = .init(line: 0, problem: "\(error)") }
        }
        return result
    }
}

/// What `verify` found.
public struct AuditVerification: Sendable, Equatable {
    /// The entries that check out, before the first bad one.
    public var entries = 0
    /// The first bad entry, by its line (1-based).
    public var problem: Problem?

    public struct Problem: Sendable, Equatable {
        public var line: Int
        public var problem: String
    }
}

/// Why the audit log could not be written or read.
public enum AuditError: Error, Sendable, Equatable, CustomStringConvertible {
    case io(path: String, reason: String)
    case damaged(path: String, line: Int?, problem: String)

    public var description: String {
        switch self {
        case .io(let path, let reason): "the audit log \(path): \(reason)"
        case .damaged(let path, let line, let problem): "the audit log \(path)" + (line.map { ":\($0)" } ?? "") + ": \(problem)"
        }
    }
}
