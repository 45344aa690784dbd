import Gzip

/// The segment's last gzip member: tar's two zero blocks, stored, with a gzip extra field
/// ("TV") holding the manifest member's offset and length. gzip and tar ignore the field;
/// readers find the manifest from it without scanning the file. Its size is fixed.
enum Trailer {
    static let size = 10 + 2 + 20 + 5 + 1024 + 8

    static func bytes(manifestOffset: UInt64, manifestLength: UInt64) -> [UInt8] {
        var out: [UInt8] = [0x1F, 0x8B, 0x08, 0x04, 0, 0, 0, 0, 0, 0xFF]   // FLG.FEXTRA, OS unknown
        out += le16(20) + [UInt8(ascii: "T"), UInt8(ascii: "V")] + le16(16) + le64(manifestOffset) + le64(manifestLength)
        out += [0x01] + le16(1024) + le16(~UInt16(1024))                     // one final stored block
        out += Tar.endOfArchive
        out += le32(CRC32.checksum(Tar.endOfArchive)) + le32(1024)
        return out
    }

    /// The manifest's (offset, length), or nil when `bytes` is not a trailer.
    static func parse(_ bytes: [UInt8]) -> (offset: UInt64, length: UInt64)? {
        guard bytes.count == size else { return nil }
        let expected = Self.bytes(manifestOffset: 0, manifestLength: 0)
        // Everything but the two numbers is fixed.
        for index in 0..<size where !(16..<32).contains(index) {
            guard bytes[index] == expected[index] else { return nil }
        }
        return (readLE64(bytes, 16), readLE64(bytes, 24))
    }

    static func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
    static func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xFF) } }
    static func le64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8((v >> (8 * UInt64($0))) & 0xFF) } }
    static func readLE64(_ b: [UInt8], _ at: Int) -> UInt64 {
        (0..<8).reduce(0) { $0 | UInt64(b[at + $1]) << (8 * UInt64($1)) }
    }
}
