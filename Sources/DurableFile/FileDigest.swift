import Crypto
import Foundation

/// SHA-256 of files and of bytes, written as lowercase hex: how every file TalkVault publishes
/// is named in manifests and the ledger.
public enum FileDigest {
    /// The SHA-256 of the file at `path` and its size, read a megabyte at a time.
    public static func sha256(ofFile path: String) throws(DurableFileError) -> (sha256: String, bytes: UInt64) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .io(path: path, reason: "cannot open (\(Errno.text()))") }
        defer { close(fd) }
        var hash = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var total: UInt64 = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw .io(path: path, reason: "read failed (\(Errno.text()))") }
            if n == 0 { break }
            buffer.withUnsafeBytes { hash.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            total += UInt64(n)
        }
        return (hex(hash.finalize()), total)
    }

    /// Lowercase hex of a digest's bytes.
    public static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
