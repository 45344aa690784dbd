import Foundation

extension AuditLog {
    /// Up to `limit` entries, newest first, older than entry `before` (a seq) when given, and
    /// whether older ones exist: read back from the end of the file a block at a time, so a
    /// page of the newest costs the same however long the trail. An entry cut short by a crash
    /// (no line feed yet) is not shown; a line that is not an entry is an error.
    public func newestEntries(before: Int64?, limit: Int) throws -> (entries: [AuditEntry], more: Bool) {
        guard let file = FileHandle(forReadingAtPath: path) else {
            if FileManager.default.fileExists(atPath: path) { throw AuditError.io(path: path, reason: "cannot open") }
            return ([], false)
        }
        defer { try? file.close() }
        var end = try file.seekToEnd()
        var tail: [UInt8] = []
        var found: [AuditEntry] = []
        var trailing = true
        while end > 0 {
            let length = min(UInt64(1 << 16), end)
            try file.seek(toOffset: end - length)
            let block = try file.read(upToCount: Int(length)) ?? Data()
            guard block.count == Int(length) else { throw AuditError.io(path: path, reason: "read failed") }
            tail = [UInt8](block) + tail
            end -= length
            if trailing {
                // What follows the last line feed is an append not yet whole.
                guard let last = tail.lastIndex(of: 10) else { continue }
                tail.removeSubrange((last + 1)...)
                trailing = false
            }
            // Every whole line after the first line feed in `tail` (the part before it may
            // continue further back).
            while let cut = tail.dropLast().lastIndex(of: 10) {
                let line = tail[(cut + 1)..<(tail.count - 1)]
                tail.removeSubrange((cut + 1)...)
                if try take(line, before: before, into: &found, limit: limit) { return (Array(found.prefix(limit)), true) }
            }
            if tail.count > 1 << 20 { throw AuditError.damaged(path: path, line: nil, problem: "a line over 1 MiB") }
        }
        // The first line of the file.
        if !trailing, tail.count > 1, try take(tail[..<(tail.count - 1)], before: before, into: &found, limit: limit) {
            return (Array(found.prefix(limit)), true)
        }
        return (found, false)
    }

    /// Adds the entry on `line` when it is older than `before`; true once there is one more than `limit`.
    private func take(_ line: ArraySlice<UInt8>, before: Int64?, into found: inout [AuditEntry], limit: Int) throws -> Bool {
        guard let entry = AuditEntry(line: String(decoding: line, as: UTF8.self)) else {
            throw AuditError.damaged(path: path, line: nil, problem: "a line that is not an audit entry, near the end")
        }
        if let before, entry.seq >= before { return false }
        found.append(entry)
        return found.count > limit
    }
}
