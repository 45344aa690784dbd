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

/// One webhook body to append, with the channel it arrived for.
public struct InboxEntry: Sendable {
    public var body: Data
    /// The channel whose secret verified it; nil is the implicit `default`, stored as before
    /// TalkVault knew channels.
    public var channel: String?
    /// The channel's `markAsReadMode` was `auto` when it arrived.
    public var autoRead: Bool

    public init(body: Data, channel: String? = nil, autoRead: Bool) {
        self.body = body
        self.channel = channel == ChannelName.implicit ? nil : channel
        self.autoRead = autoRead
    }

    var flags: UInt32 { (autoRead ? RecordHeader.autoReadFlag : 0) | (channel == nil ? 0 : RecordHeader.channelFlag) }

    /// The record's payload: with a channel, its name's length (one byte) and name before the body.
    var stored: Data {
        guard let channel else { return body }
        let name = Array(channel.utf8.prefix(255))
        var data = Data(capacity: 1 + name.count + body.count)
        data.append(UInt8(name.count))
        data.append(contentsOf: name)
        data.append(body)
        return data
    }
}

/// One acknowledged webhook body as the log holds it.
public struct InboxRecord: Sendable {
    public var receivedAt: Instant
    public var autoRead: Bool
    /// The channel it arrived for (`default` for records written before channels).
    public var channel = ChannelName.implicit
    public var body: [UInt8]
    /// The position just after this record.
    public var end: InboxPosition
    /// Its checksum does not match, yet whole records follow it: damaged on disk after it was
    /// written, not torn by a crash. Its bytes are not to be trusted.
    public var damaged = false
    /// The payload's length as stored (the channel's name included): the record starts this
    /// and a header before `end`.
    var storedLength = 0
}

/// The 32-byte record header, little-endian: magic, the segment's number, body length,
/// receipt time (ms), flags, and a CRC-32 of the first 28 header bytes and the body.
///
/// The segment number is what tells a record from a stale one left by the file's previous use
/// (segments are recycled, not rewritten), and the CRC what tells it from a torn write.
///
/// The flags' low byte holds bits; the upper three bytes the segment's size in 4 KiB blocks,
/// so a reader can tell a segment cut short (truncated) from one that ends where it should.
/// An *end mark* is a header with `endMarkFlag` and no body: the writer puts one right after
/// the last record of every append (and one at the start of a fresh segment), so a reader that
/// stops anywhere but at a mark, the end of the file or a torn write knows that acknowledged
/// records were lost there.
enum RecordHeader {
    static let size = 32
    static let magic: UInt32 = 0x4249_5654  // "TVIB" in file order
    static let autoReadFlag: UInt32 = 1
    /// Written by a writer that ends every append with an end mark.
    static let markedFlag: UInt32 = 2
    /// This header is an end mark, not a record.
    static let endMarkFlag: UInt32 = 4
    /// The payload starts with the channel's name (a length byte, then UTF-8), then the body.
    static let channelFlag: UInt32 = 8

    struct Fields: Equatable {
        var segment: UInt64
        var length: Int
        var receivedAtMs: Int64
        var flags: UInt32
        var crc: UInt32

        var isEndMark: Bool { flags & RecordHeader.endMarkFlag != 0 }
        var isMarked: Bool { flags & (RecordHeader.markedFlag | RecordHeader.endMarkFlag) != 0 }
        /// The size the writer gave the segment, when the header says (0: an older writer's).
        var segmentBytes: Int { Int(flags >> 8) * AlignedBuffer.block }
    }

    /// The flags word for a record or mark of a segment of `segmentBytes`.
    static func flags(_ bits: UInt32, segmentBytes: Int) -> UInt32 {
        bits | UInt32(min(segmentBytes / AlignedBuffer.block, 0xFF_FFFF)) << 8
    }

    /// Writes the header of a record holding `body` into `raw` (`size` bytes).
    static func write(into raw: UnsafeMutableRawBufferPointer, segment: UInt64, receivedAtMs: Int64, flags: UInt32,
                      body: UnsafeRawBufferPointer) {
        raw.storeBytes(of: magic.littleEndian, toByteOffset: 0, as: UInt32.self)
        raw.storeBytes(of: segment.littleEndian, toByteOffset: 4, as: UInt64.self)
        raw.storeBytes(of: UInt32(body.count).littleEndian, toByteOffset: 12, as: UInt32.self)
        raw.storeBytes(of: receivedAtMs.littleEndian, toByteOffset: 16, as: Int64.self)
        raw.storeBytes(of: flags.littleEndian, toByteOffset: 24, as: UInt32.self)
        let crc = checksum(header: UnsafeRawBufferPointer(raw), body: body)
        raw.storeBytes(of: crc.littleEndian, toByteOffset: 28, as: UInt32.self)
    }

    /// Writes an end mark into `raw` (`size` bytes).
    static func writeEndMark(into raw: UnsafeMutableRawBufferPointer, segment: UInt64, receivedAtMs: Int64, segmentBytes: Int) {
        write(into: raw, segment: segment, receivedAtMs: receivedAtMs, flags: flags(endMarkFlag, segmentBytes: segmentBytes),
              body: UnsafeRawBufferPointer(start: nil, count: 0))
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

    /// The first 12 bytes every header and mark of `segment` starts with: what a reader
    /// searches for past damage.
    static func prefix(segment: UInt64) -> [UInt8] {
        withUnsafeBytes(of: magic.littleEndian, Array.init) + withUnsafeBytes(of: segment.littleEndian, Array.init)
    }
}

extension InboxRecord {
    /// Moves the channel prefix of the payload into `channel`. A prefix that does not fit is
    /// left in the body, whose parse then refuses it: such a record is damaged, not guessed at.
    mutating func splitChannel() {
        guard let count = body.first.map(Int.init), count > 0, body.count > count,
              let name = String(validating: body[1...count], as: UTF8.self), ChannelName.isValid(name) else {
            damaged = true
            return
        }
        channel = name
        body.removeFirst(1 + count)
    }
}
