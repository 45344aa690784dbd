import Foundation
import Gzip
import TalkVaultDomain

/// Where the apply has got to in the log: the segment and the byte offset after the last
/// applied record. Positions only grow.
public struct InboxPosition: Sendable, Equatable, Comparable, CustomStringConvertible {
    public var segment: UInt64
    public var offset: Int

    public init(segment: UInt64, offset: Int) {
        self.segment = segment
        self.offset = offset
    }

    /// Before every segment.
    public static let start = InboxPosition(segment: 0, offset: 0)

    public static func < (a: InboxPosition, b: InboxPosition) -> Bool {
        (a.segment, a.offset) < (b.segment, b.offset)
    }

    /// `segment:offset`, as the ledger stores it.
    public var description: String { "\(segment):\(offset)" }

    public init?(_ text: String) {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let segment = UInt64(parts[0]), let offset = Int(parts[1]), offset >= 0 else { return nil }
        self.init(segment: segment, offset: offset)
    }
}

/// One acknowledged webhook body as the log holds it.
public struct InboxRecord: Sendable {
    public var receivedAt: Instant
    public var autoRead: Bool
    public var body: [UInt8]
    /// The position just after this record.
    public var end: InboxPosition
    /// Its checksum does not match, yet whole records follow it: damaged on disk after it was
    /// written, not torn by a crash. Its bytes are not to be trusted.
    public var damaged = false
}

/// The 32-byte record header, little-endian: magic, the segment's number, body length,
/// receipt time (ms), flags, and a CRC-32 of the first 28 header bytes and the body.
///
/// The segment number is what tells a record from a stale one left by the file's previous use
/// (segments are recycled, not rewritten), and the CRC what tells it from a torn write.
enum RecordHeader {
    static let size = 32
    static let magic: UInt32 = 0x4249_5654  // "TVIB" in file order
    static let autoReadFlag: UInt32 = 1

    struct Fields: Equatable {
        var segment: UInt64
        var length: Int
        var receivedAtMs: Int64
        var flags: UInt32
        var crc: UInt32
    }

    /// Writes the header of a record holding `body` into `raw` (`size` bytes).
    static func write(into raw: UnsafeMutableRawBufferPointer, segment: UInt64, receivedAtMs: Int64, autoRead: Bool,
                      body: UnsafeRawBufferPointer) {
        raw.storeBytes(of: magic.littleEndian, toByteOffset: 0, as: UInt32.self)
        raw.storeBytes(of: segment.littleEndian, toByteOffset: 4, as: UInt64.self)
        raw.storeBytes(of: UInt32(body.count).littleEndian, toByteOffset: 12, as: UInt32.self)
        raw.storeBytes(of: receivedAtMs.littleEndian, toByteOffset: 16, as: Int64.self)
        raw.storeBytes(of: (autoRead ? autoReadFlag : 0).littleEndian, toByteOffset: 24, as: UInt32.self)
        let crc = checksum(header: UnsafeRawBufferPointer(raw), body: body)
        raw.storeBytes(of: crc.littleEndian, toByteOffset: 28, as: UInt32.self)
    }

    /// The fields, or nil when the bytes are not a header (zeros, stale or torn).
    static func decode(_ raw: UnsafeRawBufferPointer) -> Fields? {
        guard raw.count >= size, UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 0, as: UInt32.self)) == magic else { return nil }
        return Fields(segment: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 4, as: UInt64.self)),
                      length: Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 12, as: UInt32.self))),
                      receivedAtMs: Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 16, as: Int64.self)),
                      flags: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 24, as: UInt32.self)),
                      crc: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 28, as: UInt32.self)))
    }

    static func checksum(header: UnsafeRawBufferPointer, body: UnsafeRawBufferPointer) -> UInt32 {
        var crc = CRC32()
        crc.update(UnsafeRawBufferPointer(rebasing: header[0..<28]))
        crc.update(body)
        return crc.value
    }
}
