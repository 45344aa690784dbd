import Foundation
import CTalkVaultZlib

/// Streams bytes into gzip members. Each `finishMember()` closes one complete member (header,
/// deflate data, CRC-32 and length trailer); concatenated members are one valid gzip stream,
/// which is what lets an archive reader inflate a single member by its offset.
public final class GzipWriter {
    /// What one finished member holds.
    public struct Member: Sendable, Equatable {
        /// CRC-32 of the uncompressed bytes.
        public let crc32: UInt32
        /// Uncompressed length.
        public let inputBytes: UInt64
        /// Compressed length, gzip header and trailer included.
        public let outputBytes: UInt64
    }

    private let stream: UnsafeMutablePointer<z_stream>
    private var output: [UInt8]
    private let sink: (UnsafeRawBufferPointer) throws -> Void
    private var crc = CRC32()
    private var inputBytes: UInt64 = 0
    private var outputBytes: UInt64 = 0

    /// Starts a writer. `level` is 0 (stored) to 9; `sink` receives the compressed bytes.
    public init(level: Int32 = 6, bufferSize: Int = 64 * 1024, sink: @escaping (UnsafeRawBufferPointer) throws -> Void) throws {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // windowBits 15 + 16 asks zlib for a gzip wrapper instead of a zlib one.
        let rc = ctv_deflateInit2(stream, level, 15 + 16, 8, Z_DEFAULT_STRATEGY)
        guard rc == Z_OK else {
            stream.deallocate()
            throw GzipError.initialization(code: rc)
        }
        output = [UInt8](repeating: 0, count: bufferSize)
        self.sink = sink
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
    }

    /// Compresses `bytes` into the current member.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        crc.update(bytes)
        inputBytes += UInt64(bytes.count)
        var offset = 0
        while offset < bytes.count {
            let chunk = min(bytes.count - offset, Int(UInt32.max >> 1))
            stream.pointee.next_in = UnsafeMutablePointer(mutating: (base + offset).assumingMemoryBound(to: Bytef.self))
            stream.pointee.avail_in = uInt(chunk)
            try pump(flush: Z_NO_FLUSH)
            offset += chunk
        }
    }

    /// Compresses `bytes` into the current member.
    public func write<S: ContiguousBytes>(_ bytes: S) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Ends the current member and resets for the next one.
    @discardableResult
    public func finishMember() throws -> Member {
        stream.pointee.next_in = nil
        stream.pointee.avail_in = 0
        try pump(flush: Z_FINISH)
        let member = Member(crc32: crc.value, inputBytes: inputBytes, outputBytes: outputBytes)
        let rc = deflateReset(stream)
        guard rc == Z_OK else { throw GzipError.zlib(code: rc) }
        crc = CRC32()
        inputBytes = 0
        outputBytes = 0
        return member
    }

    private func pump(flush: Int32) throws {
        let capacity = output.count
        while true {
            let (rc, produced): (Int32, Int) = output.withUnsafeMutableBufferPointer { buffer in
                stream.pointee.next_out = buffer.baseAddress
                stream.pointee.avail_out = uInt(capacity)
                let rc = deflate(stream, flush)
                return (rc, capacity - Int(stream.pointee.avail_out))
            }
            if produced > 0 {
                outputBytes += UInt64(produced)
                try output.withUnsafeBytes { try sink(UnsafeRawBufferPointer(rebasing: $0[0..<produced])) }
            }
            switch rc {
            case Z_STREAM_END:
                return
            case Z_OK, Z_BUF_ERROR:
                // Without FINISH, deflate is done once it has taken all input and has room left.
                if flush != Z_FINISH && stream.pointee.avail_in == 0 && produced < capacity { return }
                if rc == Z_BUF_ERROR && produced == 0 && flush != Z_FINISH { return }
            default:
                throw GzipError.zlib(code: rc)
            }
        }
    }
}
