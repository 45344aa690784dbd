import Foundation

/// Takes acknowledged bodies off the disk once the ledger holds them, for purge and erasure:
/// a body the apply and every relay target have passed is never read again, and a purged
/// message's text must not outlive it here.
public enum InboxScrub {
    /// What a scrub did.
    public struct Report: Sendable, Equatable {
        /// Records whose payload was zeroed.
        public var records = 0
        public var bytes = 0
        /// Passed segments zeroed whole (stale bodies of their earlier use included).
        public var segmentsZeroed = 0
        /// Passed segments left as they are because a writer (`serve`) holds the log: it may be
        /// reusing one this moment. Its reuse overwrites them; a purge while serve is stopped zeroes them.
        public var segmentsLeft = 0

        public init() {}
    }

    /// Zeroes the payload of every record that ends before `through` (the lowest position any
    /// reader still needs), rounded down to a block: the writer may rewrite the block it is in.
    /// Each zeroed record keeps a valid header, its checksum computed again, so the log reads
    /// as before. Segments wholly before `through` are zeroed whole when no writer holds the log.
    public static func scrub(_ directory: SegmentDirectory, through: InboxPosition) throws(InboxLogError) -> Report {
        var report = Report()
        // Without a writer, the scrub holds the writer's lock itself: a `serve` starting now
        // waits its turn (it exits 4 and systemd starts it again) instead of reusing a segment
        // while it is being zeroed.
        let lock = open(directory.lockPath, O_RDWR | O_CLOEXEC)
        let writing = lock >= 0 && flock(lock, LOCK_EX | LOCK_NB) != 0
        defer { if lock >= 0 { close(lock) } }
        for number in try directory.segments() where number <= through.segment {
            let path = directory.file(number)
            if number < through.segment {
                if writing { report.segmentsLeft += 1; continue }
                try zeroWhole(path)
                report.segmentsZeroed += 1
                continue
            }
            let limit = through.offset / AlignedBuffer.block * AlignedBuffer.block
            let reader = try InboxLogReader(directory: directory, from: InboxPosition(segment: number, offset: 0))
            let fd = open(path, O_RDWR | O_CLOEXEC)
            guard fd >= 0 else { throw .failed("opening", path: path) }
            defer { close(fd) }
            var changed = false
            while let record = try reader.next(), record.end.segment == number, record.end.offset <= limit {
                // A damaged record's bytes go too: its length was sound enough to find the next one.
                guard record.storedLength > 0 else { continue }
                guard !record.body.allSatisfy({ $0 == 0 }) else { continue }
                let start = record.end.offset - record.storedLength - RecordHeader.size
                // The header and the channel's name stay; the body becomes zeros.
                var stored = [UInt8](repeating: 0, count: RecordHeader.size + record.storedLength)
                guard stored.withUnsafeMutableBytes({ pread(fd, $0.baseAddress, $0.count, off_t(start)) }) == stored.count else {
                    throw .failed("reading", path: path)
                }
                for index in (stored.count - record.body.count)..<stored.count { stored[index] = 0 }
                let crc = stored.withUnsafeBytes { RecordHeader.checksum(header: UnsafeRawBufferPointer(rebasing: $0[0..<RecordHeader.size]),
                                                                         body: UnsafeRawBufferPointer(rebasing: $0[RecordHeader.size...])) }
                stored.withUnsafeMutableBytes { $0.storeBytes(of: crc.littleEndian, toByteOffset: 28, as: UInt32.self) }
                guard stored.withUnsafeBytes({ pwrite(fd, $0.baseAddress, $0.count, off_t(start)) }) == stored.count else {
                    throw .failed("scrubbing", path: path)
                }
                report.records += 1
                report.bytes += record.body.count
                changed = true
            }
            if changed && fsync(fd) != 0 { throw .failed("fsync", path: path) }
        }
        return report
    }

    private static func zeroWhole(_ path: String) throws(InboxLogError) {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .failed("opening", path: path) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .failed("stat", path: path) }
        let chunk = [UInt8](repeating: 0, count: 1 << 20)
        var offset = 0
        while offset < Int(info.st_size) {
            let count = min(chunk.count, Int(info.st_size) - offset)
            guard chunk.withUnsafeBytes({ pwrite(fd, $0.baseAddress, count, off_t(offset)) }) == count else { throw .failed("zeroing", path: path) }
            offset += count
        }
        guard fsync(fd) == 0 else { throw .failed("fsync", path: path) }
    }
}
