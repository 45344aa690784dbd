import Foundation
import TalkVaultDomain

/// Appends acknowledged webhook bodies to the inbox log: one write and one `fdatasync` per batch,
/// into a segment that was zero-filled and fsynced before its first record, so the `fdatasync`
/// never has a file size or an extent to commit.
///
/// Only `serve` writes the log, holding `lock`; commands only read it (`InboxLogReader`). Each
/// start writes to a new segment, so a record torn by a crash is only ever a segment's last.
/// Segments the apply has passed are recycled (renamed to a new number, their stale records
/// then rejected by that number) once the ledger has made the applied position durable.
public final class InboxLogWriter {
    /// Sizes of the log.
    public struct Settings: Sendable {
        /// A segment's size; a batch larger than this gets a segment of its own size.
        public var segmentBytes = 64 << 20
        /// Applied segments kept for reuse; the rest are deleted.
        public var spareSegments = 2

        public init(segmentBytes: Int = 64 << 20, spareSegments: Int = 2) {
            self.segmentBytes = segmentBytes
            self.spareSegments = spareSegments
        }
    }

    public let directory: SegmentDirectory
    private let settings: Settings
    private var lockFD: Int32
    private let makeDurable: () throws -> Void
    private var nextNumber: UInt64
    private var current: Open?
    /// Segments below this number are applied (as far as this writer has been told).
    private var appliedBelow: UInt64
    /// Whether the ledger has made `appliedBelow` durable.
    private var appliedDurable = false
    /// Where a batch is assembled before it is written; a megabyte at a time.
    private let buffer = AlignedBuffer(capacity: 1 << 20)
    private let preparer = DispatchQueue(label: "tv-inbox-prepare", qos: .utility)
    private let preparing = PreparingFlag()

    private struct Open {
        let number: UInt64
        let fd: Int32
        let size: Int
        var offset = 0
        /// A failed write or fsync leaves the segment's tail unknown: the next batch starts a new one.
        var broken = false
    }

    /// Takes the log's lock, clears a half-made segment, and opens a new segment.
    /// - Parameters:
    ///   - applied: the ledger's applied position; new segments are numbered above it.
    ///   - makeDurable: makes the ledger's applied position survive a power loss (an fsynced
    ///     commit); called before any segment below it is reused or deleted.
    public init(directory: SegmentDirectory, applied: InboxPosition, settings: Settings = Settings(),
                makeDurable: @escaping () throws -> Void) throws(InboxLogError) {
        self.directory = directory
        self.settings = settings
        self.makeDurable = makeDurable
        let fm = FileManager.default
        if !fm.fileExists(atPath: directory.path) {
            guard mkdir(directory.path, 0o750) == 0 || errno == EEXIST else { throw .failed("creating the directory", path: directory.path) }
            try SegmentDirectory(path: (directory.path as NSString).deletingLastPathComponent).sync()
        }
        let lockPath = directory.path + "/lock"
        lockFD = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
        guard lockFD >= 0 else { throw .failed("opening", path: lockPath) }
        guard flock(lockFD, LOCK_EX | LOCK_NB) == 0 else {
            Foundation.close(lockFD)
            throw .locked(path: lockPath)
        }
        appliedBelow = applied.segment
        nextNumber = 0
        unlink(temporaryPath)
        unlink(preparingPath)
        // Fully initialised from here: a throw runs deinit, which releases the lock.
        nextNumber = max(try directory.segments().last ?? 0, applied.segment) + 1
        try roll(fitting: 0)
    }

    deinit { close() }

    /// Closes the segment and releases the lock; appends fail after it.
    public func close() {
        preparer.sync {}
        if let current { Foundation.close(current.fd) }
        current = nil
        if lockFD >= 0 { Foundation.close(lockFD) }
        lockFD = -1
    }

    private var temporaryPath: String { directory.path + "/next.tmp" }
    /// A zero-filled segment made ahead of need, off the writer's thread, and its work file.
    private var preparedPath: String { directory.path + "/prepared.zero" }
    private var preparingPath: String { directory.path + "/preparing.tmp" }

    /// Writes `bodies` as records and fsyncs them: once this returns they survive a crash or a
    /// power loss. On a throw, none of them counts as written.
    ///
    /// Writes cover whole blocks and bypass the page cache where the filesystem allows: the
    /// block the last batch ended in is written again with this batch's first bytes, and the
    /// rest of the last block is zeros, which end the segment for a reader. Rewriting those
    /// earlier bytes with the same values cannot damage them, torn or not.
    public func append(_ bodies: [Data], receivedAt: Instant, autoRead: Bool) throws(InboxLogError) {
        guard lockFD >= 0 else { throw .io(path: directory.path, reason: "the inbox log is closed") }
        let total = bodies.reduce(0) { $0 + RecordHeader.size + $1.count }
        if current == nil || current!.broken || current!.offset + total > current!.size { try roll(fitting: total) }
        let segment = current!
        // The buffer holds the bytes of the block the segment's records end in.
        var at = segment.offset - buffer.count
        var failure: InboxLogError?
        for body in bodies where failure == nil {
            if buffer.room < RecordHeader.size { failure = drain(segment, at: &at) }
            body.withUnsafeBytes { bytes in
                guard failure == nil else { return }
                RecordHeader.write(into: buffer.extend(by: RecordHeader.size), segment: segment.number,
                                   receivedAtMs: receivedAt.milliseconds, autoRead: autoRead, body: bytes)
                var rest = bytes
                while failure == nil {
                    rest = UnsafeRawBufferPointer(rebasing: rest[buffer.append(rest)...])
                    if rest.isEmpty { break }
                    failure = drain(segment, at: &at)
                }
            }
        }
        if failure == nil {
            failure = write(buffer.padded(), to: segment, at: at)
            buffer.removeFirst(buffer.wholeBlocks)
        }
        if failure == nil && fdatasync(segment.fd) != 0 { failure = .failed("fdatasync", path: directory.file(segment.number)) }
        if let failure {
            current?.broken = true
            throw failure
        }
        current?.offset += total
    }

    /// Writes the buffer's whole blocks and keeps the rest.
    private func drain(_ segment: Open, at offset: inout Int) -> InboxLogError? {
        let whole = buffer.wholeBlocks
        if let failure = write(UnsafeRawBufferPointer(rebasing: buffer.bytes[..<whole]), to: segment, at: offset) { return failure }
        offset += whole
        buffer.removeFirst(whole)
        return nil
    }

    private func write(_ bytes: UnsafeRawBufferPointer, to segment: Open, at offset: Int) -> InboxLogError? {
        var done = 0
        while done < bytes.count {
            let n = pwrite(segment.fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR || (errno == EINVAL && dropDirect(segment.fd)) { continue }
                return .failed("write", path: directory.file(segment.number))
            }
            // A direct write cut short of a block cannot go on from there: the retry's EINVAL
            // then turns direct writes off, as above.
            if n == 0 { return .io(path: directory.file(segment.number), reason: "short write") }
            done += n
        }
        return nil
    }

    /// The ledger applied everything before `position`: segments below its segment may be
    /// reused. True when that frees a segment.
    @discardableResult
    public func applied(through position: InboxPosition) -> Bool {
        guard position.segment > appliedBelow else { return false }
        appliedBelow = position.segment
        appliedDurable = false
        return true
    }

    /// Deletes applied segments beyond `spareSegments`, so the log shrinks back after a burst.
    public func trim() throws(InboxLogError) {
        let applied = try reusable()
        guard applied.count > settings.spareSegments else { return }
        try ensureDurable()
        for number in applied.dropLast(settings.spareSegments) {
            guard unlink(directory.file(number)) == 0 || errno == ENOENT else { throw .failed("removing", path: directory.file(number)) }
        }
        try directory.sync()
    }

    /// Segment files the apply has passed, oldest first.
    private func reusable() throws(InboxLogError) -> [UInt64] {
        try directory.segments().filter { $0 < appliedBelow && $0 != current?.number }
    }

    private func ensureDurable() throws(InboxLogError) {
        guard !appliedDurable else { return }
        do { try makeDurable() } catch {
            throw .io(path: directory.path, reason: "could not make the applied position durable: \(error)")
        }
        appliedDurable = true
    }

    /// Moves to a new segment with room for `bytes`: a reused one when the apply has passed one,
    /// else a new zero-filled one.
    private func roll(fitting bytes: Int) throws(InboxLogError) {
        if let old = current {
            Foundation.close(old.fd)
            current = nil
        }
        let number = nextNumber
        nextNumber += 1
        let size = AlignedBuffer.roundUp(max(bytes, settings.segmentBytes))
        let path = directory.file(number)
        // A ledger that cannot commit just now (say, a command holds it) costs a new segment,
        // not a refused body.
        if let spare = try reusable().first(where: { fileSize(directory.file($0)) >= size }), (try? ensureDurable()) != nil {
            guard rename(directory.file(spare), path) == 0 else { throw .failed("renaming a spare segment", path: path) }
        } else if fileSize(preparedPath) >= size {
            // Renamed only once complete, so it is all zeros and fsynced.
            guard rename(preparedPath, path) == 0 else { throw .failed("renaming the prepared segment", path: path) }
        } else {
            try directory.createZeroed(size: size, as: path, temporary: temporaryPath)
        }
        try directory.sync()
        let fd = openDirect(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { throw .failed("opening", path: path) }
        buffer.removeAll()
        current = Open(number: number, fd: fd, size: fileSize(path) / AlignedBuffer.block * AlignedBuffer.block)
        try prepareNext()
    }

    /// Zero-fills the next segment in the background when no applied one can be reused: while
    /// the apply waits out a burst, a roll then costs a rename, not a pause of the writer for a
    /// segment's worth of writes. A failure there is left for the roll to meet and report.
    private func prepareNext() throws(InboxLogError) {
        guard try reusable().isEmpty, preparing.begin() else { return }
        let ready = fileSize(preparedPath)
        let size = AlignedBuffer.roundUp(settings.segmentBytes)
        if ready >= size {
            preparing.end()
            return
        }
        // Made for a smaller segment size: of no use now.
        if ready > 0 { unlink(preparedPath) }
        let (directory, prepared, work, flag) = (directory, preparedPath, preparingPath, preparing)
        preparer.async {
            try? directory.createZeroed(size: size, as: prepared, temporary: work)
            flag.end()
        }
    }

    private func fileSize(_ path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : 0
    }
}

/// Whether a segment is being prepared; set by the writer, cleared by the preparer.
private final class PreparingFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var busy = false

    /// True when it was not set, and sets it.
    func begin() -> Bool {
        lock.withLock {
            if busy { return false }
            busy = true
            return true
        }
    }

    func end() { lock.withLock { busy = false } }
}
