import Crypto
import DurableFile
import Foundation
import Gzip
import TalkVaultDomain

/// Writes one segment to a temporary file: content entries, then `messages.jsonl`, then
/// `MANIFEST.json`, then tar's end-of-archive blocks with a pointer to the manifest. Every
/// entry starts a gzip member (small deflated ones share members of about `memberTarget`
/// bytes), so any item can be read by inflating only its own member.
public final class SegmentWriter {
    /// How a segment is written.
    public struct Settings: Sendable {
        public var compression: CompressionPolicy
        /// Uncompressed bytes per shared member: small entries and records are grouped up to it.
        public var memberTarget: Int
        public var toolVersion: String

        public init(compression: CompressionPolicy = CompressionPolicy(), memberTarget: Int = 128 * 1024, toolVersion: String) {
            self.compression = compression
            self.memberTarget = memberTarget
            self.toolVersion = toolVersion
        }
    }

    /// The segment's path under the archive dir, as the manifest names it.
    public let relativePath: String
    /// The temporary file being written; `Durable.publish` moves it into place.
    public let temporaryPath: String
    private let spoolPath: String
    private let settings: Settings
    private let sequence: Int
    private let createdAtMs: Int64
    private let previous: Manifest.ChainLink?
    private let out: OutputFile
    private let spool: OutputFile
    private var members: [Manifest.Member] = []
    private var entries: [Manifest.Entry] = []
    private var spooled: [(messageId: String, offset: UInt64, length: UInt64, sha256: String)] = []
    private var spoolHash = SHA256()
    private var spoolCRC = CRC32()
    /// The open member's bytes before compression; members are at most about `chunkBytes`,
    /// so memory stays flat whatever the entry sizes.
    private var current: [UInt8] = []
    private var currentLevel: Int32 = 6
    private var memberOpen = false
    private var memberIsShared = false
    /// Closed members waiting to be compressed, in parallel, and written in order.
    private var pending: [(bytes: [UInt8], level: Int32)] = []
    private var memberBytes: UInt64 { UInt64(current.count) }
    /// The index the open member will have in `members`.
    private var currentMemberIndex: Int { members.count + pending.count }
    static let chunkBytes = 1 << 20
    /// Members compressed per parallel batch.
    static let batchSize = 2 * max(1, ProcessInfo.processInfo.activeProcessorCount)
    private var tarOffset: UInt64 = 0
    private var finished = false

    /// Starts a segment at `directory/.NAME.tmp-PID`.
    public init(directory: String, relativePath: String, sequence: Int, createdAtMs: Int64,
                previous: Manifest.ChainLink?, settings: Settings) throws(ArchiveError) {
        self.relativePath = relativePath
        self.settings = settings
        self.sequence = sequence
        self.createdAtMs = createdAtMs
        self.previous = previous
        let name = (relativePath as NSString).lastPathComponent
        let pid = ProcessInfo.processInfo.processIdentifier
        temporaryPath = "\(directory)/.\(name).tmp-\(pid)"
        spoolPath = "\(directory)/.\(name).records.tmp-\(pid)"
        unlink(temporaryPath)
        unlink(spoolPath)
        let (temporary, spooled) = (temporaryPath, spoolPath)
        out = try Self.io { () throws(DurableFileError) in try OutputFile(path: temporary) }
        spool = try Self.io { () throws(DurableFileError) in try OutputFile(path: spooled) }
    }

    deinit { if !finished { abort() } }

    /// Removes the temporary files; the segment is abandoned.
    public func abort() {
        finished = true
        unlink(temporaryPath)
        unlink(spoolPath)
    }

    /// Adds a content file as entry `name`, streaming it. Its size and, when given, its SHA-256
    /// must match, else nothing of it is added to the manifest and the error says so.
    @discardableResult
    public func addContent(file: String, name: String, originalName: String?, messageId: String?, contentType: String?,
                           expectedSize: UInt64?, expectedSHA256: String?, mtime: Int64) throws(ArchiveError) -> Manifest.Entry {
        guard let input = FileHandle(forReadingAtPath: file) else {
            throw .io(path: file, reason: "cannot open staged file (\(Errno.text()))")
        }
        defer { try? input.close() }
        let attributes = try? FileManager.default.attributesOfItem(atPath: file)
        guard let size = (attributes?[.size] as? NSNumber)?.uint64Value else { throw .io(path: file, reason: "cannot stat") }
        if let expectedSize, expectedSize != size {
            throw .stagedFileMismatch(messageId: messageId ?? name, detail: "size \(size), expected \(expectedSize)")
        }
        let first = Self.read(input, max: 1 << 20)
        let store = settings.compression.shouldStore(contentType: contentType, sample: first.prefix(64 * 1024))
        return try addContent(name: name, originalName: originalName, messageId: messageId, contentType: contentType, size: size,
                              stored: store, expectedSHA256: expectedSHA256, mtime: mtime) { (sink) throws(ArchiveError) in
            var chunk = first
            while !chunk.isEmpty {
                let result = chunk.withUnsafeBytes { bytes in Result { () throws(ArchiveError) in try sink(bytes) } }
                try result.get()
                chunk = Self.read(input, max: Self.chunkBytes)
            }
        }
    }

    /// Adds entry `name` of `size` bytes that `produce` streams to the sink it is given (a
    /// segment rewrite copies entries this way). `stored` says whether it is deflated.
    @discardableResult
    public func addContent(name: String, originalName: String?, messageId: String?, contentType: String?, size: UInt64, stored store: Bool,
                           expectedSHA256: String?, mtime: Int64,
                           produce: ((UnsafeRawBufferPointer) throws(ArchiveError) -> Void) throws(ArchiveError) -> Void) throws(ArchiveError) -> Manifest.Entry {
        guard SafeName.isSafeRelativePath(name) else { throw .io(path: name, reason: "unsafe entry name") }
        let shared = !store && size < UInt64(settings.memberTarget / 2)
        try beginMember(level: store ? 0 : settings.compression.level, shared: shared)
        let headerOffset = tarOffset
        try emit(Tar.headers(name: name, size: size, mtime: mtime))
        let firstMember = currentMemberIndex, dataOffset = memberBytes
        var hash = SHA256(), crc = CRC32(), seen: UInt64 = 0, overflow = false
        var produced: Result<Void, ArchiveError> = .success(())
        do throws(ArchiveError) { try produce { (given: UnsafeRawBufferPointer) throws(ArchiveError) in
            // Never more than the header's size: a file that grew is refused below, the tar intact.
            let bytes = UnsafeRawBufferPointer(rebasing: given.prefix(Int(size - seen)))
            if bytes.count < given.count { overflow = true }
            guard !bytes.isEmpty else { return }
            hash.update(bufferPointer: bytes)
            crc.update(bytes)
            seen += UInt64(bytes.count)
            try emit(bytes)
            // A large entry continues in the next member; its members stay consecutive.
            if !shared && current.count >= Self.chunkBytes {
                try endMember()
                try beginMember(level: store ? 0 : settings.compression.level, shared: false)
            }
        } } catch { produced = .failure(error) }
        let sha = Self.hex(hash.finalize())
        // The tar stream stays whole even when the entry is refused below: its bytes are out
        // already, so they are padded (or cut to the header's size) and left out of the manifest.
        if seen < size { try emit([UInt8](repeating: 0, count: Int(size - seen))) }
        try emit([UInt8](repeating: 0, count: Tar.padding(after: size)))
        try produced.get()
        guard seen == size, !overflow else { throw .stagedFileMismatch(messageId: messageId ?? name, detail: "changed while packing") }
        if let expectedSHA256, expectedSHA256 != sha {
            throw .stagedFileMismatch(messageId: messageId ?? name, detail: "SHA-256 differs from the download's")
        }
        let entry = Manifest.Entry(name: name, originalName: originalName, messageId: messageId, contentType: contentType,
                                   member: firstMember, memberCount: currentMemberIndex - firstMember + 1, tarOffset: headerOffset, dataOffset: dataOffset, size: size,
                                   crc32: crc.value, sha256: sha, stored: store)
        entries.append(entry)
        if !shared || memberBytes >= UInt64(settings.memberTarget) { try endMember() }
        return entry
    }

    /// Copies `entry` of the segment `source` (its file at `path`) byte for byte: its gzip
    /// members hold nothing but it (tar header, data, padding), so they are copied as they are,
    /// nothing inflated or compressed again. The caller checks `source.memberOwners` (1 for each of them).
    /// The copy is as sound as the source: `verify` checks members against their CRC-32.
    @discardableResult
    public func copyMembers(of entry: Manifest.Entry, from source: Manifest, path: String) throws(ArchiveError) -> Manifest.Entry {
        try endMember()
        try flushPending()
        guard let input = FileHandle(forReadingAtPath: path) else { throw .io(path: path, reason: "cannot open (\(Errno.text()))") }
        defer { try? input.close() }
        let first = members.count, headerOffset = tarOffset
        for member in source.members[entry.member..<(entry.member + entry.memberCount)] {
            let offset = out.offset
            do { try input.seek(toOffset: member.offset) } catch { throw .io(path: path, reason: "cannot seek") }
            var left = Int(member.length)
            while left > 0 {
                let chunk = Self.read(input, max: min(left, Self.chunkBytes))
                guard !chunk.isEmpty else { throw .damaged(segment: source.segment, detail: "member at \(member.offset) ends early") }
                try Self.io { () throws(DurableFileError) in try out.write(chunk) }
                left -= chunk.count
            }
            members.append(Manifest.Member(offset: offset, length: member.length, uncompressedLength: member.uncompressedLength, crc32: member.crc32))
            tarOffset += member.uncompressedLength
        }
        var copied = entry
        copied.member = first
        copied.tarOffset = headerOffset
        entries.append(copied)
        return copied
    }

    /// Adds one message record: a line of `messages.jsonl` (without its newline).
    public func addRecord(messageId: String, json: [UInt8]) throws(ArchiveError) {
        precondition(!json.contains(UInt8(ascii: "\n")), "a record is one line")
        let offset = spool.offset
        try Self.io { () throws(DurableFileError) in
            try spool.write(json)
            try spool.write([UInt8(ascii: "\n")])
        }
        spoolHash.update(data: json)
        spoolHash.update(data: [UInt8(ascii: "\n")])
        spoolCRC.update(json)
        spoolCRC.update([UInt8(ascii: "\n")])
        spooled.append((messageId, offset, UInt64(json.count), Self.hex(SHA256.hash(data: json))))
    }

    /// What rewrites made this segment from earlier files of the same sequence (a purge).
    public var rewrites: [Manifest.Rewrite]?

    /// The number of records and entries added so far, and the file's size.
    public var counts: (records: Int, entries: Int, bytes: UInt64) { (spooled.count, entries.count, out.offset) }

    /// Writes the records, the manifest and the end blocks, and fsyncs the temporary file.
    /// Returns the manifest, where each record went, and the SHA-256 of the whole file.
    public func finish() throws(ArchiveError) -> (manifest: Manifest, records: [Manifest.Record], fileSHA256: String, bytes: UInt64) {
        try endMember()
        try writeRecords()
        try flushPending()
        let manifest = Manifest(format: Manifest.formatName, segment: relativePath, sequence: sequence,
                                createdAtMs: createdAtMs, toolVersion: settings.toolVersion, previous: previous,
                                contentSHA256: Self.hex(out.hasher.finalize()), members: members, entries: entries,
                                recordCount: recordsList.count, rewrites: rewrites)
        let manifestJSON: [UInt8]
        do { manifestJSON = try manifest.encoded() } catch { throw .io(path: temporaryPath, reason: "manifest: \(error)") }
        let manifestOffset = out.offset
        let manifestTar = Tar.headers(name: "MANIFEST.json", size: UInt64(manifestJSON.count), mtime: createdAtMs / 1000) + manifestJSON
            + [UInt8](repeating: 0, count: Tar.padding(after: UInt64(manifestJSON.count)))
        let manifestBytes = try Self.compress(manifestTar, level: settings.compression.level)
        try Self.io { () throws(DurableFileError) in
            try out.write(manifestBytes)
            try out.write(Trailer.bytes(manifestOffset: manifestOffset, manifestLength: out.offset - manifestOffset))
            try out.syncAndClose()
        }
        unlink(spoolPath)
        finished = true
        return (manifest, recordsList, Self.hex(out.hasher.finalize()), out.offset)
    }

    private var recordsList: [Manifest.Record] = []

    private func writeRecords() throws(ArchiveError) {
        guard !spooled.isEmpty else { return }
        try Self.io { () throws(DurableFileError) in try spool.flush() }
        guard let input = FileHandle(forReadingAtPath: spoolPath) else { throw .io(path: spoolPath, reason: "cannot reopen") }
        defer { try? input.close() }
        let total = spool.offset
        try beginMember(level: settings.compression.level, shared: false)
        let headerOffset = tarOffset
        try emit(Tar.headers(name: "messages.jsonl", size: total, mtime: createdAtMs / 1000))
        let firstMember = currentMemberIndex, dataOffset = memberBytes
        var buffer: [UInt8] = [], bufferStart: UInt64 = 0
        for record in spooled {
            let end = record.offset + record.length + 1
            while bufferStart + UInt64(buffer.count) < end {
                let more = Self.read(input, max: 1 << 20)
                guard !more.isEmpty else { throw .io(path: spoolPath, reason: "records spool ended early") }
                if buffer.count > (1 << 21) {
                    let drop = Int(record.offset - bufferStart)
                    buffer.removeFirst(drop)
                    bufferStart += UInt64(drop)
                }
                buffer += more
            }
            // A record never spans members, so reading one inflates one member.
            if memberBytes >= UInt64(settings.memberTarget) {
                try endMember()
                try beginMember(level: settings.compression.level, shared: false)
            }
            let start = Int(record.offset - bufferStart)
            recordsList.append(Manifest.Record(messageId: record.messageId, member: currentMemberIndex, offset: memberBytes,
                                               length: record.length, sha256: record.sha256))
            try emit(Array(buffer[start..<(start + Int(record.length) + 1)]))
        }
        try emit([UInt8](repeating: 0, count: Tar.padding(after: total)))
        try endMember()
        entries.append(Manifest.Entry(name: "messages.jsonl", originalName: nil, messageId: nil, contentType: "application/x-ndjson",
                                      member: firstMember, memberCount: currentMemberIndex - firstMember, tarOffset: headerOffset, dataOffset: dataOffset, size: total,
                                      crc32: spoolCRC.value, sha256: Self.hex(spoolHash.finalize()), stored: false))
    }

    private func beginMember(level: Int32, shared: Bool) throws(ArchiveError) {
        if memberOpen {
            if shared && memberIsShared && level == currentLevel { return }
            try endMember()
        }
        memberOpen = true
        currentLevel = level
        memberIsShared = shared
        current.reserveCapacity(Self.chunkBytes + 64 * 1024)
    }

    private func endMember() throws(ArchiveError) {
        guard memberOpen else { return }
        pending.append((current, currentLevel))
        current = []
        memberOpen = false
        if pending.count >= Self.batchSize { try flushPending() }
    }

    /// Compresses the closed members on every core, then writes them in order. Members are
    /// independent gzip streams, which is what makes this parallel.
    private func flushPending() throws(ArchiveError) {
        guard !pending.isEmpty else { return }
        let batch = pending
        pending = []
        let results = Slots<Result<[UInt8], GzipError>>(count: batch.count)
        defer { results.free() }
        DispatchQueue.concurrentPerform(iterations: batch.count) { index in
            results.slots[index] = Result { () throws(GzipError) -> [UInt8] in
                do { return try Gzip.compress(batch[index].bytes, level: batch[index].level) } catch let error as GzipError { throw error } catch {
                    throw GzipError.zlib(code: -1)
                }
            }
        }
        for (index, member) in batch.enumerated() {
            let compressed: [UInt8]
            switch results.slots[index]! {
            case .success(let bytes): compressed = bytes
            case .failure(let error): throw .io(path: temporaryPath, reason: "\(error)")
            }
            let offset = out.offset
            try Self.io { () throws(DurableFileError) in try out.write(compressed) }
            // The gzip trailer holds the member's CRC-32: no second pass over the bytes.
            let crc = compressed.suffix(8).prefix(4).enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
            members.append(Manifest.Member(offset: offset, length: UInt64(compressed.count), uncompressedLength: UInt64(member.bytes.count),
                                           crc32: crc))
        }
    }

    static func compress(_ bytes: [UInt8], level: Int32) throws(ArchiveError) -> [UInt8] {
        do { return try Gzip.compress(bytes, level: level) } catch { throw .io(path: "gzip", reason: "\(error)") }
    }

    private func emit(_ bytes: UnsafeRawBufferPointer) throws(ArchiveError) {
        current.append(contentsOf: bytes)
        tarOffset += UInt64(bytes.count)
    }

    private func emit(_ bytes: [UInt8]) throws(ArchiveError) {
        guard !bytes.isEmpty else { return }
        current.append(contentsOf: bytes)
        tarOffset += UInt64(bytes.count)
    }

    static func read(_ handle: FileHandle, max: Int) -> [UInt8] {
        (try? handle.read(upToCount: max)).flatMap { $0.map { Array($0) } } ?? []
    }

    /// A durable-file step, its failure told as the archive's.
    static func io<T>(_ body: () throws(DurableFileError) -> T) throws(ArchiveError) -> T {
        do { return try body() } catch { throw ArchiveError(error) }
    }

    /// Lower-case hex of a digest.
    public static func hexDigest<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 { FileDigest.hex(digest) }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 { FileDigest.hex(digest) }
}


/// One slot per parallel task: each task writes only its own, and the caller reads them after
/// `concurrentPerform` returns, so no two threads touch the same memory.
struct Slots<T>: @unchecked Sendable {
    let slots: UnsafeMutableBufferPointer<T?>

    init(count: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil)
    }

    func free() {
        _ = slots.deinitialize()
        slots.deallocate()
    }
}
