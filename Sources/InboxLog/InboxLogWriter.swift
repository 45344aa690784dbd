import Foundation
import TalkVaultDomain

/// Appends acknowledged webhook bodies to the inbox log: one write and one `fdatasync` per batch,
/// into a segment that was zero-filled and fsynced before its first record, so the `fdatasync`
/// never has a file size or an extent to commit. Each append ends with an end mark right after
/// its last record, written in the same block: a reader that stops short of the mark knows
/// acknowledged records were lost there (see `InboxLogReader`).
///
/// Only `serve` writes the log, holding `lock`; commands only read it (`InboxLogReader`). Each
/// start writes to a new segment, so a record torn by a crash is only ever a segment's last.
/// Segments the apply has passed are recycled (renamed to a new number, their stale records
/// then rejected by that number) once the ledger has made the applied position durable and
/// said so (`applied(durablyBelow:)`): the writer itself never waits on the ledger.
///
/// Appends come from one thread at a time; `applied(durablyBelow:)` and `trim()` may come from
/// another (the applier), and share the spare segments with the writer under a lock.
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
    private var nextNumber: UInt64
    private var current: Open?
    /// Guards `durableBelow`, `writing` and the spare segment files, which the applier's
    /// `trim` and the writer's `roll` both touch.
    private let spares = NSLock()
    /// Segments below this number are applied, and the ledger has made that durable.
    private var durableBelow: UInt64
    /// The segment being written, which is never a spare.
    private var writing: UInt64?
    /// Where a batch is assembled before it is written; a megabyte at a time.
    private let buffer = AlignedBuffer(capacity: 1 << 20)
    /// The first block of a batch written in more than one go, held back and written last: it
    /// covers the last batch's end mark, so until it is written a reader stops at that mark,
    /// and a batch cut short by a crash is never taken for damage.
    private let firstBlock = AlignedBuffer(capacity: AlignedBuffer.block)
    private var heldBack: Int?
    /// Tests only: the append stops, as a kill would stop it, before the held-back first block.
    var stopBeforeFirstBlock = false
    /// The first segment this writer (or an earlier one that marks its appends) made.
    private var firstMarked: UInt64 = 0
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
    /// - Parameter applied: the ledger's applied position, durable: new segments are numbered
    ///   above it, and segments below its segment may be reused.
    /// Segments other readers still need (the relay's targets): never reused or deleted.
    public let hold: InboxHold

    public init(directory: SegmentDirectory, applied: InboxPosition, settings: Settings = Settings(),
                hold: InboxHold = InboxHold()) throws(InboxLogError) {
        self.directory = directory
        self.settings = settings
        self.hold = hold
        let fm = FileManager.default
        if !fm.fileExists(atPath: directory.path) {
            guard mkdir(directory.path, 0o750) == 0 || errno == EEXIST else { throw .failed("creating the directory", path: directory.path) }
            try SegmentDirectory(path: (directory.path as NSString).deletingLastPathComponent).sync()
        }
        let lockPath = directory.lockPath
        lockFD = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
        guard lockFD >= 0 else { throw .failed("opening", path: lockPath) }
        // A reader's probe of the lock holds it shared for microseconds: a few tries get past one.
        var tries = 0
        while flock(lockFD, LOCK_EX | LOCK_NB) != 0 {
            tries += 1
            guard errno == EWOULDBLOCK, tries < 50 else {
                Foundation.close(lockFD)
                throw .locked(path: lockPath)
            }
            usleep(2_000)
        }
        durableBelow = applied.segment
        nextNumber = 0
        unlink(temporaryPath)
        unlink(preparingPath)
        // Fully initialised from here: a throw runs deinit, which releases the lock.
        let head = directory.head()
        nextNumber = max(try directory.segments().last ?? 0, applied.segment, head?.newest ?? 0) + 1
        firstMarked = head?.firstMarked ?? nextNumber
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
    /// block the last batch ended in is written again with this batch's first bytes (over the
    /// last batch's end mark), and after the last record comes this batch's end mark, then
    /// zeros to the block's end. Rewriting those earlier bytes with the same values cannot
    /// damage them, torn or not.
    public func append(_ bodies: [Data], receivedAt: Instant, autoRead: Bool) throws(InboxLogError) {
        try append(bodies.map { InboxEntry(body: $0, autoRead: autoRead) }, receivedAt: receivedAt)
    }

    /// Writes `entries` as records, each with its channel, and fsyncs them, as `append(_:receivedAt:autoRead:)`.
    public func append(_ entries: [InboxEntry], receivedAt: Instant) throws(InboxLogError) {
        guard lockFD >= 0 else { throw .io(path: directory.path, reason: "the inbox log is closed") }
        let bodies = entries.map(\.stored)
        let total = bodies.reduce(0) { $0 + RecordHeader.size + $1.count }
        if current == nil || current!.broken || current!.offset + total > current!.size { try roll(fitting: total) }
        let segment = current!
        // The buffer holds the bytes of the block the segment's records end in.
        var at = segment.offset - buffer.count
        var failure: InboxLogError?
        heldBack = nil
        for (entry, body) in zip(entries, bodies) where failure == nil {
            let flags = RecordHeader.flags(entry.flags | RecordHeader.markedFlag, segmentBytes: segment.size)
            if buffer.room < RecordHeader.size { failure = drain(segment, at: &at) }
            body.withUnsafeBytes { bytes in
                guard failure == nil else { return }
                RecordHeader.write(into: buffer.extend(by: RecordHeader.size), segment: segment.number,
                                   receivedAtMs: receivedAt.milliseconds, flags: flags, body: bytes)
                var rest = bytes
                while failure == nil {
                    rest = UnsafeRawBufferPointer(rebasing: rest[buffer.append(rest)...])
                    if rest.isEmpty { break }
                    failure = drain(segment, at: &at)
                }
            }
        }
        // The end mark goes where the next batch will start, when the segment has room for one.
        let end = segment.offset + total
        let marked = segment.size - end >= RecordHeader.size
        if failure == nil, marked, buffer.room < RecordHeader.size + AlignedBuffer.block { failure = drain(segment, at: &at) }
        if failure == nil {
            let bytes = marked ? buffer.padded(trailer: RecordHeader.size) { raw in
                RecordHeader.writeEndMark(into: raw, segment: segment.number, receivedAtMs: receivedAt.milliseconds, segmentBytes: segment.size)
            } : buffer.padded()
            failure = writeFirstBlockLast(bytes, to: segment, at: at)
            buffer.removeFirst(buffer.wholeBlocks)
        }
        if failure == nil, let offset = heldBack {
            // The rest of the batch reaches the disk before the block that covers the old mark.
            if fdatasync(segment.fd) != 0 { failure = .failed("fdatasync", path: directory.file(segment.number)) }
            if stopBeforeFirstBlock { failure = .io(path: directory.path, reason: "stopped before the first block, as a kill would") }
            if failure == nil { failure = write(firstBlock.bytes, to: segment, at: offset) }
        }
        if failure == nil && fdatasync(segment.fd) != 0 { failure = .failed("fdatasync", path: directory.file(segment.number)) }
        if let failure {
            current?.broken = true
            throw failure
        }
        current?.offset += total
    }

    /// Writes the buffer's whole blocks and keeps the rest; the batch's first block is held back.
    private func drain(_ segment: Open, at offset: inout Int) -> InboxLogError? {
        let whole = buffer.wholeBlocks
        var from = 0
        if heldBack == nil {
            firstBlock.removeAll()
            _ = firstBlock.append(UnsafeRawBufferPointer(rebasing: buffer.bytes[..<AlignedBuffer.block]))
            heldBack = offset
            from = AlignedBuffer.block
        }
        if whole > from, let failure = write(UnsafeRawBufferPointer(rebasing: buffer.bytes[from..<whole]), to: segment, at: offset + from) {
            return failure
        }
        offset += whole
        buffer.removeFirst(whole)
        return nil
    }

    /// Writes `bytes` at `offset`. Through the page cache a write cut by a kill can stop at any
    /// page, so there the first block, over the old mark, goes in a second write after the rest;
    /// a direct write is not cut by a kill (the process waits for the device, uninterruptibly).
    private func writeFirstBlockLast(_ bytes: UnsafeRawBufferPointer, to segment: Open, at offset: Int) -> InboxLogError? {
        let direct = directIO != 0 && fcntl(segment.fd, F_GETFL) & directIO != 0
        guard heldBack == nil, !direct, bytes.count > AlignedBuffer.block else { return write(bytes, to: segment, at: offset) }
        if let failure = write(UnsafeRawBufferPointer(rebasing: bytes[AlignedBuffer.block...]), to: segment, at: offset + AlignedBuffer.block) {
            return failure
        }
        return write(UnsafeRawBufferPointer(rebasing: bytes[..<AlignedBuffer.block]), to: segment, at: offset)
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

    /// The ledger has applied everything in segments below `segment`, and made that durable:
    /// they may be reused or deleted. True when that frees a segment the writer did not know of.
    @discardableResult
    public func applied(durablyBelow segment: UInt64) -> Bool {
        spares.withLock {
            guard segment > durableBelow else { return false }
            durableBelow = segment
            return true
        }
    }

    /// Segments below this are applied, durably (as far as this writer has been told).
    public var appliedDurablyBelow: UInt64 { spares.withLock { durableBelow } }

    /// Deletes applied segments beyond `spareSegments`, so the log shrinks back after a burst.
    public func trim() throws(InboxLogError) {
        try locked { () throws(InboxLogError) in
            let applied = try reusable()
            guard applied.count > settings.spareSegments else { return }
            for number in applied.dropLast(settings.spareSegments) {
                guard unlink(directory.file(number)) == 0 || errno == ENOENT else { throw .failed("removing", path: directory.file(number)) }
            }
            try directory.sync()
        }
    }

    private func locked<T>(_ body: () throws(InboxLogError) -> T) throws(InboxLogError) -> T {
        spares.lock()
        defer { spares.unlock() }
        return try body()
    }

    /// Segment files the apply has durably passed and no holder needs, oldest first; the
    /// caller holds `spares`.
    private func reusable() throws(InboxLogError) -> [UInt64] {
        let below = min(durableBelow, hold.lowest)
        return try directory.segments().filter { $0 < below && $0 != writing }
    }

    /// Moves to a new segment with room for `bytes`: a reused one when the apply has durably
    /// passed one, else a new zero-filled one. Its number is recorded in `head` and an end mark
    /// is written at its start before any record, so a reader can tell it from a damaged one.
    private func roll(fitting bytes: Int) throws(InboxLogError) {
        if let old = current {
            Foundation.close(old.fd)
            current = nil
        }
        let number = nextNumber
        let size = AlignedBuffer.roundUp(max(bytes, settings.segmentBytes))
        let path = directory.file(number)
        try locked { () throws(InboxLogError) in
            // The start mark goes in before the file takes its number: a segment never exists
            // without a header at its start, so one without it is damaged.
            if let spare = try reusable().first(where: { fileSize(directory.file($0)) >= size }) {
                try directory.stampStartMark(directory.file(spare), segment: number)
                guard rename(directory.file(spare), path) == 0 else { throw .failed("renaming a spare segment", path: path) }
            } else if fileSize(preparedPath) >= size {
                // Renamed only once complete, so it is all zeros and fsynced.
                try directory.stampStartMark(preparedPath, segment: number)
                guard rename(preparedPath, path) == 0 else { throw .failed("renaming the prepared segment", path: path) }
            } else {
                try directory.createZeroed(size: size, as: path, temporary: temporaryPath, startMark: number)
            }
            writing = number
        }
        // The number is taken once its file exists: a failure above leaves no gap in the numbers.
        nextNumber += 1
        try directory.sync()
        try directory.writeHead(newest: number, firstMarked: firstMarked)
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
        guard try locked({ () throws(InboxLogError) in try reusable().isEmpty }), preparing.begin() else { return }
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
