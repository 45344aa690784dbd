import Foundation
import TalkVaultDomain

/// Reads the log's records from a position onward, oldest first, one body in memory at a time.
///
/// A segment ends at its first record that does not check out (zeros, a stale record from the
/// file's previous use, or a write torn by a crash, which was never acknowledged); reading then
/// goes on with the next segment. The one exception is a record whose checksum fails with a
/// whole record behind it: that is damage, not a torn tail, and it comes back marked `damaged`.
/// Segments made after the reader was created are left for the
/// next reader, which is what makes reading while `serve` writes safe: a segment is only
/// followed by another once its writer has finished with it.
public final class InboxLogReader {
    public let directory: SegmentDirectory
    private var segments: ArraySlice<UInt64>
    private var current: (number: UInt64, fd: Int32, size: Int)?
    private var offset = 0
    /// After the last record returned.
    public private(set) var position: InboxPosition
    private var header = [UInt8](repeating: 0, count: RecordHeader.size)

    public init(directory: SegmentDirectory, from position: InboxPosition) throws(InboxLogError) {
        self.directory = directory
        self.position = position
        segments = try directory.segments().filter { $0 >= position.segment }[...]
    }

    deinit { if let current { close(current.fd) } }

    /// The next record, or nil at the end of the log.
    public func next() throws(InboxLogError) -> InboxRecord? {
        while true {
            if current == nil {
                guard let number = segments.popFirst() else { return nil }
                let path = directory.file(number)
                let fd = open(path, O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else { throw .failed("opening", path: path) }
                var info = stat()
                guard fstat(fd, &info) == 0 else {
                    close(fd)
                    throw .failed("stat", path: path)
                }
                current = (number, fd, Int(info.st_size))
                offset = number == position.segment ? position.offset : 0
            }
            if let record = try read() { return record }
            close(current!.fd)
            current = nil
        }
    }

    private func read() throws(InboxLogError) -> InboxRecord? {
        guard let (fields, body, intact) = try record(at: offset) else { return nil }
        // A torn write is only ever a segment's last record. A whole record right behind one
        // whose checksum fails means bytes changed after they were acknowledged: the record is
        // handed on marked, so it is kept rather than silently skipped with all after it.
        if !intact {
            guard let (_, _, nextIntact) = try record(at: offset + RecordHeader.size + fields.length), nextIntact else { return nil }
        }
        offset += RecordHeader.size + fields.length
        position = InboxPosition(segment: current!.number, offset: offset)
        return InboxRecord(receivedAt: Instant(milliseconds: fields.receivedAtMs), autoRead: fields.flags & RecordHeader.autoReadFlag != 0,
                           body: body, end: position, damaged: !intact)
    }

    /// The record of the current segment at `start`, and whether its checksum matches; nil when
    /// no header of this segment is there.
    private func record(at start: Int) throws(InboxLogError) -> (RecordHeader.Fields, [UInt8], intact: Bool)? {
        let (number, fd, size) = current!
        let path = directory.file(number)
        guard start + RecordHeader.size <= size else { return nil }
        let got = header.withUnsafeMutableBytes { pread(fd, $0.baseAddress, RecordHeader.size, off_t(start)) }
        guard got == RecordHeader.size else {
            if got < 0 { throw .failed("reading", path: path) }
            return nil
        }
        guard let fields = header.withUnsafeBytes({ RecordHeader.decode($0) }), fields.segment == number,
              fields.length <= size - start - RecordHeader.size else { return nil }
        var body = [UInt8](repeating: 0, count: fields.length)
        var done = 0
        while done < fields.length {
            let n = body.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, fields.length - done, off_t(start + RecordHeader.size + done)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .failed("reading", path: path)
            }
            if n == 0 { return nil }
            done += n
        }
        let crc = header.withUnsafeBytes { h in body.withUnsafeBytes { RecordHeader.checksum(header: h, body: $0) } }
        return (fields, body, crc == fields.crc)
    }
}
