import Foundation
import CTalkVaultZlib

/// Inflates a gzip stream fed in pieces, across member boundaries. zlib checks every member's
/// CRC-32 and length, so corruption surfaces as `GzipError.corrupt`.
public final class GzipReader {
    private let stream: UnsafeMutablePointer<z_stream>
    private var output: [UInt8]
    private let sink: (UnsafeRawBufferPointer) throws -> Void
    /// True between members: the last byte fed closed a member.
    private var atBoundary = true
    /// Number of complete members inflated so far.
    public private(set) var membersRead = 0

    /// Starts a reader; `sink` receives the inflated bytes.
    public init(bufferSize: Int = 64 * 1024, sink: @escaping (UnsafeRawBufferPointer) throws -> Void) throws {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let rc = ctv_inflateInit2(stream, 15 + 16)
        guard rc == Z_OK else {
            stream.deallocate()
            throw GzipError.initialization(code: rc)
        }
        output = [UInt8](repeating: 0, count: bufferSize)
        self.sink = sink
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    /// Inflates the next piece of the stream.
    public func feed(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        stream.pointee.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(bytes.count)
        let capacity = output.count
        atBoundary = false
        while true {
            let (rc, produced): (Int32, Int) = output.withUnsafeMutableBufferPointer { buffer in
                stream.pointee.next_out = buffer.baseAddress
                stream.pointee.avail_out = uInt(capacity)
                let rc = inflate(stream, Z_NO_FLUSH)
                return (rc, capacity - Int(stream.pointee.avail_out))
            }
            if produced > 0 {
                try output.withUnsafeBytes { try sink(UnsafeRawBufferPointer(rebasing: $0[0..<produced])) }
            }
            switch rc {
            case Z_STREAM_END:
                membersRead += 1
                let reset = inflateReset(stream)
                guard reset == Z_OK else { throw GzipError.zlib(code: reset) }
                if stream.pointee.avail_in == 0 {
                    atBoundary = true
                    return
                }
            case Z_OK:
                // A full output buffer may leave inflated bytes inside zlib: go round again.
                if stream.pointee.avail_in == 0 && produced < capacity { return }
            case Z_BUF_ERROR:
                return
            case Z_DATA_ERROR:
                let detail = stream.pointee.msg.map { String(cString: $0) } ?? "invalid data"
                throw GzipError.corrupt(detail: detail)
            default:
                throw GzipError.zlib(code: rc)
            }
        }
    }

    /// Inflates the next piece of the stream.
    public func feed<S: ContiguousBytes>(_ bytes: S) throws {
        try bytes.withUnsafeBytes { try feed($0) }
    }

    /// Declares the end of input; throws `.truncated` when it fell inside a member.
    public func finish() throws {
        guard atBoundary, membersRead > 0 else { throw GzipError.truncated }
    }
}

/// One-shot helpers for small buffers.
public enum Gzip {
    /// Compresses `bytes` into a single gzip member.
    public static func compress<S: ContiguousBytes>(_ bytes: S, level: Int32 = 6) throws -> [UInt8] {
        var result: [UInt8] = []
        let writer = try GzipWriter(level: level) { result.append(contentsOf: $0) }
        try writer.write(bytes)
        try writer.finishMember()
        return result
    }

    /// Inflates a gzip stream of one or more members.
    public static func decompress<S: ContiguousBytes>(_ bytes: S) throws -> [UInt8] {
        var result: [UInt8] = []
        let reader = try GzipReader { result.append(contentsOf: $0) }
        try reader.feed(bytes)
        try reader.finish()
        return result
    }
}
