import CTalkVaultZlib
import Foundation
import Gzip
import TestSupport
import Zip

/// One entry of a zip built byte by byte, every field open to a test that wants it wrong.
struct CraftedEntry {
    var name: [UInt8]
    /// The bytes as they lie in the file (compressed, for deflate).
    var data: [UInt8]
    var method: UInt16
    var crc: UInt32
    var uncompressedSize: UInt32
    var compressedSize: UInt32
    /// Bit 11: the name is UTF-8.
    var flags: UInt16 = 1 << 11
    /// Unix (3) in the high byte, zip 3.0 in the low.
    var versionMadeBy: UInt16 = 3 << 8 | 30
    /// A regular file, rw-r--r--.
    var externalAttributes: UInt32 = 0o100644 << 16
    var diskStart: UInt16 = 0
    /// What the local header says, when it differs from the central directory.
    var localName: [UInt8]?
    var localFlags: UInt16?
    /// Where the central directory says the local header is, when not where it is.
    var headerOffset: UInt32?
    /// Bytes after the data: a data descriptor.
    var trailer: [UInt8] = []
    /// Zeros for the local header's CRC and sizes, as a streaming writer leaves them.
    var zeroLocalSizes = false

    /// The local header, as the entry's fields make it.
    func localHeader() -> [UInt8] {
        var out: [UInt8] = []
        let name = localName ?? self.name
        out.u32(0x0403_4b50)
        out.u16(20)
        out.u16(localFlags ?? flags)
        out.u16(method)
        out.u16(0); out.u16(0x21)  // time, date
        out.u32(zeroLocalSizes ? 0 : crc)
        out.u32(zeroLocalSizes ? 0 : compressedSize)
        out.u32(zeroLocalSizes ? 0 : uncompressedSize)
        out.u16(UInt16(name.count))
        out.u16(0)
        return out + name
    }

    static func stored(_ name: String, _ content: [UInt8]) -> CraftedEntry {
        CraftedEntry(name: Array(name.utf8), data: content, method: 0, crc: CRC32.checksum(content),
                     uncompressedSize: UInt32(content.count), compressedSize: UInt32(content.count))
    }

    static func stored(_ name: String, _ text: String) -> CraftedEntry { stored(name, Array(text.utf8)) }

    static func deflated(_ name: String, _ content: [UInt8]) -> CraftedEntry {
        let compressed = rawDeflate(content)
        return CraftedEntry(name: Array(name.utf8), data: compressed, method: 8, crc: CRC32.checksum(content),
                            uncompressedSize: UInt32(content.count), compressedSize: UInt32(compressed.count))
    }

    static func directory(_ name: String) -> CraftedEntry {
        var entry = stored(name, [UInt8]())
        entry.externalAttributes = 0o040755 << 16
        return entry
    }
}

/// A zip built byte by byte: local headers and data, the central directory, the end record.
struct CraftedZip {
    var entries: [CraftedEntry]
    var disk: UInt16 = 0
    var directoryDisk: UInt16 = 0
    var countHere: UInt16?
    var count: UInt16?
    var directorySize: UInt32?
    var directoryOffset: UInt32?
    var comment: [UInt8] = []
    /// A zip64 end locator before the end record.
    var zip64Locator = false

    init(_ entries: [CraftedEntry]) { self.entries = entries }

    func bytes() -> [UInt8] {
        var out: [UInt8] = []
        var offsets: [UInt32] = []
        for entry in entries {
            offsets.append(UInt32(out.count))
            out += entry.localHeader()
            out += entry.data
            out += entry.trailer
        }
        let directoryStart = out.count
        for (entry, offset) in zip(entries, offsets) {
            out.u32(0x0201_4b50)
            out.u16(entry.versionMadeBy)
            out.u16(20)
            out.u16(entry.flags)
            out.u16(entry.method)
            out.u16(0); out.u16(0x21)
            out.u32(entry.crc)
            out.u32(entry.compressedSize)
            out.u32(entry.uncompressedSize)
            out.u16(UInt16(entry.name.count))
            out.u16(0); out.u16(0)  // extra, comment
            out.u16(entry.diskStart)
            out.u16(0)
            out.u32(entry.externalAttributes)
            out.u32(entry.headerOffset ?? offset)
            out += entry.name
        }
        let directoryEnd = out.count
        if zip64Locator {
            out.u32(0x0706_4b50)
            out.u32(0)
            out += [UInt8](repeating: 0, count: 8)
            out.u32(1)
        }
        out.u32(0x0605_4b50)
        out.u16(disk)
        out.u16(directoryDisk)
        out.u16(countHere ?? UInt16(truncatingIfNeeded: entries.count))
        out.u16(count ?? UInt16(truncatingIfNeeded: entries.count))
        out.u32(directorySize ?? UInt32(directoryEnd - directoryStart))
        out.u32(directoryOffset ?? UInt32(directoryStart))
        out.u16(UInt16(comment.count))
        out += comment
        return out
    }

    /// Writes the zip into `dir` and returns its path.
    func write(in dir: TempDir, name: String = "backup.zip") -> String {
        writeBytes(bytes(), in: dir, name: name)
    }
}

/// Writes `bytes` into `dir` and returns the path.
@discardableResult
func writeBytes(_ bytes: [UInt8], in dir: TempDir, name: String = "backup.zip") -> String {
    let path = dir.file(name)
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
    return path
}

func refusal(bytes: [UInt8], limits: ZipLimits = .init()) -> ZipError? {
    let dir = TempDir()
    return refusal(at: writeBytes(bytes, in: dir), limits: limits)
}

extension Array where Element == UInt8 {
    mutating func u16(_ value: UInt16) { append(UInt8(value & 0xff)); append(UInt8(value >> 8)) }
    mutating func u32(_ value: UInt32) { u16(UInt16(value & 0xffff)); u16(UInt16(value >> 16)) }
}

/// Raw deflate (no zlib or gzip wrapper), as zip stores it.
func rawDeflate(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8] {
    var stream = z_stream()
    precondition(ctv_deflateInit2(&stream, level, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK)
    defer { deflateEnd(&stream) }
    var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(bytes.count))) + 16)
    var input = bytes
    let written = input.withUnsafeMutableBufferPointer { inBuffer in
        output.withUnsafeMutableBufferPointer { outBuffer in
            stream.next_in = inBuffer.baseAddress
            stream.avail_in = uInt(inBuffer.count)
            stream.next_out = outBuffer.baseAddress
            stream.avail_out = uInt(outBuffer.count)
            precondition(deflate(&stream, Z_FINISH) == Z_STREAM_END)
            return outBuffer.count - Int(stream.avail_out)
        }
    }
    return Array(output[0..<written])
}

/// Opens the zip and returns the error it was refused with, nil if it opened.
func refusal(_ zip: CraftedZip, limits: ZipLimits = .init()) -> ZipError? {
    let dir = TempDir()
    return refusal(at: zip.write(in: dir), limits: limits)
}

func refusal(at path: String, limits: ZipLimits = .init()) -> ZipError? {
    do {
        _ = try ZipReader(path: path, limits: limits)
        return nil
    } catch {
        return error
    }
}

/// All of an entry's bytes, and how many chunks they came in.
func readAll(_ reader: ZipReader, _ entry: ZipEntry) throws -> (bytes: [UInt8], chunks: Int) {
    var bytes: [UInt8] = []
    var chunks = 0
    try reader.read(entry) { chunk in
        bytes += chunk
        chunks += 1
    }
    return (bytes, chunks)
}

/// The error reading the zip's only file entry ends in, nil if it read whole.
func readRefusal(_ zip: CraftedZip) throws -> ZipError? {
    let dir = TempDir()
    let reader = try ZipReader(path: zip.write(in: dir))
    do {
        _ = try readAll(reader, reader.entries[0])
        return nil
    } catch let error as ZipError {
        return error
    }
}

/// Bytes that deflate well but not to nothing, like a chat backup's CSV.
func csvLike(bytes count: Int) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(count + 100)
    var row = 0
    while out.count < count {
        out += Array("2026/11/30,10:\(row % 60),山田 太郎,メッセージ \(row * 7919 % 100_003)\n".utf8)
        row += 1
    }
    return Array(out[0..<count])
}
