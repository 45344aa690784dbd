import Foundation
import CTalkVaultZlib

/// A running CRC-32 (the gzip and PNG polynomial), computed by zlib.
public struct CRC32: Sendable, Equatable {
    /// The checksum of everything added so far.
    public private(set) var value: UInt32 = 0

    public init() {}

    /// Adds bytes to the checksum.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        var remaining = bytes.count
        var pointer = base.assumingMemoryBound(to: Bytef.self)
        var crc = uLong(value)
        // crc32 takes a uInt length, so feed it in chunks below 4 GiB.
        while remaining > 0 {
            let chunk = min(remaining, Int(UInt32.max >> 1))
            crc = crc32(crc, pointer, uInt(chunk))
            pointer += chunk
            remaining -= chunk
        }
        value = UInt32(truncatingIfNeeded: crc)
    }

    /// Adds bytes to the checksum.
    public mutating func update<S: ContiguousBytes>(_ bytes: S) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The CRC-32 of `bytes`.
    public static func checksum<S: ContiguousBytes>(_ bytes: S) -> UInt32 {
        var crc = CRC32()
        crc.update(bytes)
        return crc.value
    }
}
