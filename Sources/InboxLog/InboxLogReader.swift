import Foundation
import TalkVaultDomain

/// Reads the log's records from a position onward, oldest first, one body in memory at a time,
/// and notes damage on the way (`takeFindings`): acknowledged bodies that can no longer be read.
///
/// A segment ends where its writer marked the end of its last append (an end mark), at the end
/// of its file, or at a record torn by a crash (never acknowledged: its `fdatasync` had not
/// returned). Reading that stops anywhere else met damage: the reader names it, searches on for
/// the segment's next whole record and goes on from there, so what can still be read is kept.
/// A record whose checksum fails with a whole record right behind it comes back marked
/// `damaged`. A segment file shorter than its records say, and a segment missing between the
/// start position and the newest the writer created, are damage too.
///
/// Segments made after the reader was created are left for the next reader, which is what makes
/// reading while `serve` writes safe: a segment is only followed by another once its writer has
/// finished with it. The newest segment, while a writer holds the log, is still being written:
/// its end is not judged.
public final class InboxLogReader {
    public let directory: SegmentDirectory
    private var segments: ArraySlice<UInt64>
    /// Segment numbers from the start position to the newest created that have no file.
    private var missing: [UInt64]
    /// The newest segment, and whether a writer is still writing it.
    private let newest: UInt64?
    private let newestIsLive: Bool
    /// Segments from this number on were made by a writer that marks its appends' ends.
    private let firstMarked: UInt64?
    private var current: Segment?
    private var offset = 0
    /// After the last record returned.
    public private(set) var position: InboxPosition
    private var findings: [InboxDamage] = []
    private var header = [UInt8](repeating: 0, count: RecordHeader.size)

    private struct Segment {
        let number: UInt64
        let fd: Int32
        let size: Int
        /// The size its writer gave it, from the headers read so far (0: not known).
        var declared = 0
        /// Its writer ends every append with a mark (seen on a record or a mark).
        var marked = false
        /// The receipt time of the last record read.
        var lastReceived: Instant?
    }

    public init(directory: SegmentDirectory, from position: InboxPosition) throws(InboxLogError) {
        self.directory = directory
        self.position = position
        // The head first: a segment made after the listing must not look missing. The lock
        // last: a writer starting after the listing writes a segment that is not in it.
        let head = directory.head()
        let all = try directory.segments()
        newestIsLive = directory.writerHoldsLock()
        segments = all.filter { $0 >= position.segment }[...]
        newest = all.last
        firstMarked = head?.firstMarked
        let low = max(position.segment, 1)
        let high = max(head?.newest ?? 0, all.last ?? 0)
        let present = Set(all)
        missing = high >= low ? (low...high).filter { !present.contains($0) } : []
    }

    deinit { if let current { close(current.fd) } }

    /// Damage found since the last call, in the order it was met.
    public func takeFindings() -> [InboxDamage] {
        defer { findings.removeAll() }
        return findings
    }

    /// The next record, or nil at the end of the log.
    public func next() throws(InboxLogError) -> InboxRecord? {
        while true {
            if current == nil {
                guard let number = segments.popFirst() else {
                    reportMissing(below: .max)
                    return nil
                }
                reportMissing(below: number)
                let path = directory.file(number)
                let fd = open(path, O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else {
                    // Gone since the listing: recycled by a running serve that applied past it
                    // (its findings are then dropped), or deleted.
                    if errno == ENOENT {
                        findings.append(InboxDamage(kind: .missing, segment: number, offset: 0))
                        continue
                    }
                    throw .failed("opening", path: path)
                }
                var info = stat()
                guard fstat(fd, &info) == 0 else {
                    close(fd)
                    throw .failed("stat", path: path)
                }
                current = Segment(number: number, fd: fd, size: Int(info.st_size))
                offset = number == position.segment ? position.offset : 0
                // What the segment's start says of it (a header of the segment is always there,
                // but where damage took it), even when reading begins further on.
                current!.marked = firstMarked.map { number >= $0 } ?? false
                switch try look(at: 0) {
                case .record(let fields, _, _), .mark(let fields), .cut(let fields): note(fields)
                case .end, .nothing: break
                }

                if offset > current!.size {
                    findings.append(InboxDamage(kind: .truncated, segment: number, offset: current!.size, bytes: offset - current!.size))
                    endSegment()
                    continue
                }
            }
            if let record = try read() { return record }
            endSegment()
        }
    }

    private func endSegment() {
        if let current { close(current.fd) }
        current = nil
    }

    private func reportMissing(below number: UInt64) {
        while let first = missing.first, first < number {
            missing.removeFirst()
            findings.append(InboxDamage(kind: .missing, segment: first, offset: 0))
        }
    }

    /// What lies at an offset of the current segment.
    private enum Found {
        case record(RecordHeader.Fields, [UInt8], intact: Bool)
        case mark(RecordHeader.Fields)
        /// A header of this segment whose body runs past the end of the file.
        case cut(RecordHeader.Fields)
        /// No header of this segment fits before the end of the file.
        case end
        /// Something that is not a header of this segment: zeros, a stale record, garbage.
        case nothing
    }

    /// The segment's next record from `offset`, or nil at its end, noting damage on the way.
    private func read() throws(InboxLogError) -> InboxRecord? {
        while true {
            switch try look(at: offset) {
            case .record(let fields, let body, let intact):
                note(fields)
                // A whole record right behind one whose checksum fails means bytes changed
                // after they were acknowledged: handed on marked rather than skipped. In the
                // segment a writer is still writing, it is a record being written: the reading
                // ends there, to be taken up again by the next reader.
                if !intact && isLive { return nil }
                if !intact {
                    guard case .record(_, _, true) = try look(at: offset + RecordHeader.size + fields.length) else {
                        guard try resume(after: offset, tornHeader: true) else { return nil }
                        continue
                    }
                }
                offset += RecordHeader.size + fields.length
                current!.lastReceived = Instant(milliseconds: fields.receivedAtMs)
                position = InboxPosition(segment: current!.number, offset: offset)
                var record = InboxRecord(receivedAt: Instant(milliseconds: fields.receivedAtMs),
                                         autoRead: fields.flags & RecordHeader.autoReadFlag != 0,
                                         body: body, end: position, damaged: !intact)
                record.storedLength = fields.length
                if fields.flags & RecordHeader.channelFlag != 0 { record.splitChannel() }
                return record
            case .mark(let fields):
                note(fields)
                checkSize()
                return nil
            case .cut(let fields):
                note(fields)
                if !isLive { findings.append(truncated()) }
                return nil
            case .end:
                checkSize()
                return nil
            case .nothing:
                guard try resume(after: offset, tornHeader: false) else { return nil }
            }
        }
    }

    private var isLive: Bool { newestIsLive && current?.number == newest }

    private func note(_ fields: RecordHeader.Fields) {
        if fields.isMarked { current!.marked = true }
        current!.declared = max(current!.declared, fields.segmentBytes)
    }

    /// A file shorter than its writer made it: shorter than its headers say, or (a marking
    /// writer's segment) not a whole number of blocks.
    private var isTruncated: Bool {
        guard let segment = current else { return false }
        return segment.declared > segment.size || (segment.marked && segment.size % AlignedBuffer.block != 0)
    }

    private func checkSize() {
        guard !isLive, isTruncated else { return }
        findings.append(truncated())
    }

    private func truncated() -> InboxDamage {
        let segment = current!
        return InboxDamage(kind: .truncated, segment: segment.number, offset: segment.size,
                           bytes: segment.declared > segment.size ? segment.declared - segment.size : nil, after: segment.lastReceived)
    }

    /// Reading stopped at `stop` on something that is not a record, a mark or the file's end.
    /// Searches on for the segment's next record (then `offset` is there and it returns true)
    /// or end mark, and notes what was lost; false when the segment ends here.
    private func resume(after stop: Int, tornHeader: Bool) throws(InboxLogError) -> Bool {
        // The newest segment of a running writer is still being written: not judged.
        if isLive { return false }
        let segment = current!
        switch try search(from: stop + 1) {
        case .some((let at, isMark: false)):
            findings.append(InboxDamage(kind: .unreadable, segment: segment.number, offset: stop, bytes: at - stop,
                                        after: segment.lastReceived))
            offset = at
            return true
        case .some((let at, isMark: true)):
            findings.append(InboxDamage(kind: .unreadable, segment: segment.number, offset: stop, bytes: at - stop,
                                        after: segment.lastReceived))
            checkSize()
            return false
        case nil:
            if isTruncated {
                findings.append(truncated())
            } else if !tornHeader && segment.marked {
                // A torn write leaves a header of this segment where the mark was; zeros or
                // garbage there mean the acknowledged tail is gone. (A segment of an older
                // writer has no marks, and simply ends at its zeros.)
                findings.append(InboxDamage(kind: .cutShort, segment: segment.number, offset: stop, after: segment.lastReceived))
            }
            return false
        }
    }

    /// The first whole record or end mark of the current segment at or after `start`.
    private func search(from start: Int) throws(InboxLogError) -> (Int, isMark: Bool)? {
        let segment = current!
        let pattern = RecordHeader.prefix(segment: segment.number)
        let chunk = 1 << 20
        var buffer = [UInt8](repeating: 0, count: chunk + pattern.count)
        var at = start
        while at + RecordHeader.size <= segment.size {
            let want = min(buffer.count, segment.size - at)
            let got = buffer.withUnsafeMutableBytes { pread(segment.fd, $0.baseAddress, want, off_t(at)) }
            if got < 0 {
                if errno == EINTR { continue }
                throw .failed("reading", path: directory.file(segment.number))
            }
            guard got >= pattern.count else { return nil }
            var from = 0
            while let hit = Self.find(pattern, in: buffer, from: from, to: got) {
                switch try look(at: at + hit) {
                case .record(_, _, intact: true): return (at + hit, false)
                case .mark: return (at + hit, true)
                default: from = hit + 1
                }
            }
            // Overlap by less than a pattern, so a match across the boundary is still found.
            at += max(1, got - pattern.count + 1)
        }
        return nil
    }

    /// The offset of `pattern` in `buffer[from..<end]`: memchr for its first byte, then a compare.
    private static func find(_ pattern: [UInt8], in buffer: [UInt8], from: Int, to end: Int) -> Int? {
        buffer.withUnsafeBytes { hay in
            pattern.withUnsafeBytes { needle in
                let base = hay.baseAddress!
                var at = from
                while end - at >= needle.count {
                    guard let hit = memchr(base + at, Int32(needle[0]), end - at - needle.count + 1) else { return nil }
                    let index = UnsafeRawPointer(hit) - base
                    if memcmp(base + index, needle.baseAddress!, needle.count) == 0 { return index }
                    at = index + 1
                }
                return nil
            }
        }
    }

    /// What is at `start` in the current segment.
    private func look(at start: Int) throws(InboxLogError) -> Found {
        let (number, fd, size) = (current!.number, current!.fd, current!.size)
        let path = directory.file(number)
        guard start + RecordHeader.size <= size else { return .end }
        let got = header.withUnsafeMutableBytes { pread(fd, $0.baseAddress, RecordHeader.size, off_t(start)) }
        guard got == RecordHeader.size else {
            if got < 0 { throw .failed("reading", path: path) }
            return .end
        }
        guard let fields = header.withUnsafeBytes({ RecordHeader.decode($0) }), fields.segment == number else { return .nothing }
        guard fields.length <= size - start - RecordHeader.size else { return .cut(fields) }
        var body = [UInt8](repeating: 0, count: fields.length)
        var done = 0
        while done < fields.length {
            let n = body.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, fields.length - done, off_t(start + RecordHeader.size + done)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .failed("reading", path: path)
            }
            if n == 0 { return .cut(fields) }
            done += n
        }
        let crc = header.withUnsafeBytes { h in body.withUnsafeBytes { RecordHeader.checksum(header: h, body: $0) } }
        if fields.isEndMark, fields.length == 0 { return crc == fields.crc ? .mark(fields) : .nothing }
        return .record(fields, body, intact: crc == fields.crc)
    }
}

/// What the log holds from a reader's position on.
public struct InboxBacklog: Sendable, Equatable {
    public var bodies = 0
    public var bytes = 0
    /// The receipt time of the first body, if any.
    public var oldest: Instant?

    public init() {}
}

extension InboxLogReader {
    /// Reads the rest of the log, one body at a time, and sums it up. Damage met on the way is
    /// kept for `takeFindings`.
    public func backlog() throws(InboxLogError) -> InboxBacklog {
        var backlog = InboxBacklog()
        while let record = try next() {
            backlog.bodies += 1
            backlog.bytes += record.body.count
            backlog.oldest = backlog.oldest ?? record.receivedAt
        }
        return backlog
    }
}
