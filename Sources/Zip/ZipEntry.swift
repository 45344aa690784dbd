/// One file in a zip, as its central directory declares it (and the reader checked).
public struct ZipEntry: Sendable, Equatable {
    /// The path inside the zip: valid UTF-8, relative, `/`-separated, no `.` or `..`.
    public let name: String
    /// Bytes `read` delivers; checked while reading.
    public let uncompressedSize: UInt64
    /// Bytes the entry takes in the file.
    public let compressedSize: UInt64
    /// CRC-32 of the uncompressed bytes; checked at the end of `read`.
    public let crc32: UInt32

    /// 0 stored, 8 deflate.
    let method: UInt16
    /// Where the entry's local header starts.
    let headerOffset: UInt64
    /// Where its compressed bytes start, past the local header.
    let dataOffset: UInt64
}
