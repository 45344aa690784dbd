import Crypto
import Foundation
import Gzip

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
    private let gzip: GzipWriter
    private let spool: OutputFile
    private var members: [Manifest.Member] = []
    private var entries: [Manifest.Entry] = []
    private var spooled: [(messageId: String, offset: UInt64, length: UInt64, sha256: String)] = []
    private var spoolHash = SHA256()
    private var spoolCRC = CRC32()
    /// The open member: where it started in the file, and its inflated bytes so far.
    private var memberStart: UInt64?
    private var memberBytes: UInt64 = 0
    private var memberIsShared = false
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
        let out = try OutputFile(path: temporaryPath)
        self.out = out
        spool = try OutputFile(path: spoolPath)
        do {
            gzip = try GzipWriter(level: settings.compression.level, bufferSize: 256 * 1024) { try out.write($0) }
        } catch {
            unlink(temporaryPath)
            unlink(spoolPath)
            throw .io(path: temporaryPath, reason: "\(error)")
        }
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
        guard SafeName.isSafeRelativePath(name) else { throw .io(path: name, reason: "unsafe entry name") }
        guard let input = FileHandle(forReadingAtPath: file) else {
            throw .io(path: file, reason: "cannot open staged file (\(Errno.text()))")
        }
        defer { try? input.close() }
        let attributes = try? FileManager.default.attributesOfItem(atPath: file)
        guard let size = (attributes?[.size] as? NSNumber)?.uint64Value else { throw .io(path: file, reason: "cannot stat") }
        if let expectedSize, expectedSize != size {
            throw .stagedFileMismatch(messageId: messageId ?? name, detail: "size \(size), expected \(expectedSize)")
        }
        var chunk = Self.read(input, max: 1 << 20)
        let store = settings.compression.shouldStore(contentType: contentType, sample: chunk.prefix(64 * 1024))
        let shared = !store && size < UInt64(settings.memberTarget / 2)
        try beginMember(level: store ? 0 : settings.compression.level, shared: shared)
        let headerOffset = tarOffset
        try emit(Tar.headers(name: name, size: size, mtime: mtime))
        let dataOffset = memberBytes
        var hash = SHA256(), crc = CRC32(), seen: UInt64 = 0
        while !chunk.isEmpty {
            hash.update(data: chunk)
            crc.update(chunk)
            seen += UInt64(chunk.count)
            try emit(chunk)
            chunk = Self.read(input, max: 1 << 20)
        }
        let sha = Self.hex(hash.finalize())
        guard seen == size else { throw .stagedFileMismatch(messageId: messageId ?? name, detail: "changed while packing") }
        if let expectedSHA256, expectedSHA256 != sha {
            throw .stagedFileMismatch(messageId: messageId ?? name, detail: "SHA-256 differs from the download's")
        }
        try emit([UInt8](repeating: 0, count: Tar.padding(after: size)))
        let entry = Manifest.Entry(name: name, originalName: originalName, messageId: messageId, contentType: contentType,
                                   member: members.count, memberCount: 1, tarOffset: headerOffset, dataOffset: dataOffset, size: size,
                                   crc32: crc.value, sha256: sha, stored: store)
        entries.append(entry)
        if !shared || memberBytes >= UInt64(settings.memberTarget) { try endMember() }
        return entry
    }

    /// Adds one message record: a line of `messages.jsonl` (without its newline).
    public func addRecord(messageId: String, json: [UInt8]) throws(ArchiveError) {
        precondition(!json.contains(UInt8(ascii: "\n")), "a record is one line")
        let offset = spool.offset
        try spool.write(json)
        try spool.write([UInt8(ascii: "\n")])
        spoolHash.update(data: json)
        spoolHash.update(data: [UInt8(ascii: "\n")])
        spoolCRC.update(json)
        spoolCRC.update([UInt8(ascii: "\n")])
        spooled.append((messageId, offset, UInt64(json.count), Self.hex(SHA256.hash(data: json))))
    }

    /// The number of records and entries added so far, and the file's size.
    public var counts: (records: Int, entries: Int, bytes: UInt64) { (spooled.count, entries.count, out.offset) }

    /// Writes the records, the manifest and the end blocks, and fsyncs the temporary file.
    /// Returns the manifest, where each record went, and the SHA-256 of the whole file.
    public func finish() throws(ArchiveError) -> (manifest: Manifest, records: [Manifest.Record], fileSHA256: String, bytes: UInt64) {
        try endMember()
        try writeRecords()
        let manifest = Manifest(format: Manifest.formatName, segment: relativePath, sequence: sequence,
                                createdAtMs: createdAtMs, toolVersion: settings.toolVersion, previous: previous,
                                contentSHA256: Self.hex(out.hasher.finalize()), members: members, entries: entries,
                                recordCount: recordsList.count)
        let manifestJSON: [UInt8]
        do { manifestJSON = try manifest.encoded() } catch { throw .io(path: temporaryPath, reason: "manifest: \(error)") }
        let manifestOffset = out.offset
        try beginMember(level: settings.compression.level, shared: false)
        try emit(Tar.headers(name: "MANIFEST.json", size: UInt64(manifestJSON.count), mtime: createdAtMs / 1000))
        try emit(manifestJSON)
        try emit([UInt8](repeating: 0, count: Tar.padding(after: UInt64(manifestJSON.count))))
        try finishGzipMember()
        try out.write(Trailer.bytes(manifestOffset: manifestOffset, manifestLength: out.offset - manifestOffset))
        try out.syncAndClose()
        unlink(spoolPath)
        finished = true
        return (manifest, recordsList, Self.hex(out.hasher.finalize()), out.offset)
    }

    private var recordsList: [Manifest.Record] = []

    private func writeRecords() throws(ArchiveError) {
        guard !spooled.isEmpty else { return }
        try spool.syncAndCloseQuietly()
        guard let input = FileHandle(forReadingAtPath: spoolPath) else { throw .io(path: spoolPath, reason: "cannot reopen") }
        defer { try? input.close() }
        let total = spool.offset
        try beginMember(level: settings.compression.level, shared: false)
        let headerOffset = tarOffset
        try emit(Tar.headers(name: "messages.jsonl", size: total, mtime: createdAtMs / 1000))
        let firstMember = members.count, dataOffset = memberBytes
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
            recordsList.append(Manifest.Record(messageId: record.messageId, member: members.count, offset: memberBytes,
                                               length: record.length, sha256: record.sha256))
            try emit(Array(buffer[start..<(start + Int(record.length) + 1)]))
        }
        try emit([UInt8](repeating: 0, count: Tar.padding(after: total)))
        try endMember()
        entries.append(Manifest.Entry(name: "messages.jsonl", originalName: nil, messageId: nil, contentType: "application/x-ndjson",
                                      member: firstMember, memberCount: members.count - firstMember, tarOffset: headerOffset, dataOffset: dataOffset, size: total,
                                      crc32: spoolCRC.value, sha256: Self.hex(spoolHash.finalize()), stored: false))
    }

    private func beginMember(level: Int32, shared: Bool) throws(ArchiveError) {
        if memberStart != nil {
            if shared && memberIsShared { return }
            try endMember()
        }
        do { try gzip.setLevel(level) } catch { throw .io(path: temporaryPath, reason: "\(error)") }
        memberStart = out.offset
        memberBytes = 0
        memberIsShared = shared
    }

    private func endMember() throws(ArchiveError) {
        guard let start = memberStart else { return }
        let member = try finishGzipMember()
        members.append(Manifest.Member(offset: start, length: out.offset - start, uncompressedLength: member.inputBytes,
                                       crc32: member.crc32))
    }

    @discardableResult
    private func finishGzipMember() throws(ArchiveError) -> GzipWriter.Member {
        do {
            let member = try gzip.finishMember()
            memberStart = nil
            memberBytes = 0
            return member
        } catch let error as ArchiveError {
            throw error
        } catch {
            throw .io(path: temporaryPath, reason: "\(error)")
        }
    }

    private func emit(_ bytes: [UInt8]) throws(ArchiveError) {
        guard !bytes.isEmpty else { return }
        do { try gzip.write(bytes) } catch let error as ArchiveError { throw error } catch {
            throw .io(path: temporaryPath, reason: "\(error)")
        }
        memberBytes += UInt64(bytes.count)
        tarOffset += UInt64(bytes.count)
    }

    static func read(_ handle: FileHandle, max: Int) -> [UInt8] {
        (try? handle.read(upToCount: max)).flatMap { $0.map { Array($0) } } ?? []
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Lower-case hex of a digest.
    public static func hexDigest<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 { hex(digest) }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in digest {
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension OutputFile {
    /// Flushes and closes a scratch file; it is deleted afterwards, so it is not fsynced.
    func syncAndCloseQuietly() throws(ArchiveError) {
        try flush()
    }
}
