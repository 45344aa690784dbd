import DurableFile
import Crypto
import Foundation
import Hummingbird
import NIOCore

/// Bytes a blocking reader produces (a segment inflated, a file read), written to the response
/// as they come, a few chunks ahead at most: memory stays flat whatever the size, and the
/// reader runs on a thread of its own, never on the event loop or the ledger's actor.
enum ContentStream {
    /// A body that runs `produce` on a thread; each chunk it gives is copied out before it
    /// continues. A failure after the first byte aborts the response: the connection closes
    /// short of Content-Length, so no client takes a partial or damaged file for a whole one.
    /// `contentLength`, when known, becomes the response's Content-Length (a body without one
    /// would clear the header set before it).
    static func body(contentLength: Int? = nil,
                     _ produce: @escaping @Sendable (_ sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) -> ResponseBody {
        ResponseBody(contentLength: contentLength) { writer in
            let window = DispatchSemaphore(value: 4)
            let cancelled = Flag()
            let (stream, continuation) = AsyncThrowingStream<ByteBuffer, any Error>.makeStream()
            continuation.onTermination = { _ in
                cancelled.set()
                for _ in 0..<8 { window.signal() }
            }
            Thread.detachNewThread {
                do {
                    try produce { chunk in
                        window.wait()
                        if cancelled.isSet { throw CancellationError() }
                        continuation.yield(ByteBuffer(bytes: chunk))
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            defer { continuation.finish() }
            // The last chunk is held back until the reader has checked the SHA-256: a
            // mismatch then ends the response short of its length, never complete.
            var pending: ByteBuffer?
            for try await buffer in stream {
                if let previous = pending { try await writer.write(previous) }
                pending = buffer
                window.signal()
            }
            if let last = pending { try await writer.write(last) }
            try await writer.finish(nil)
        }
    }

    /// A file read in 64 KiB pieces; with `sha256` (hex), hashed as it goes, and a mismatch
    /// thrown after the last piece (which `body` holds back: the response ends short).
    static func file(_ path: String, sha256 expected: String? = nil) -> @Sendable ((UnsafeRawBufferPointer) throws -> Void) throws -> Void {
        { sink in
            guard let handle = FileHandle(forReadingAtPath: path) else { throw CocoaError(.fileReadNoSuchFile) }
            defer { try? handle.close() }
            var hash = SHA256()
            while let data = try handle.read(upToCount: 64 * 1024), !data.isEmpty {
                if expected != nil { hash.update(data: data) }
                try data.withUnsafeBytes { try sink($0) }
            }
            if let expected, FileDigest.hex(hash.finalize()) != expected.lowercased() { throw ContentMismatch(path: path) }
        }
    }

}

/// A file whose bytes are not the ones recorded when it was delivered.
struct ContentMismatch: Error, CustomStringConvertible {
    let path: String
    var description: String { "\(path) does not match the SHA-256 recorded when it was delivered" }
}

/// A flag set once, read from any thread.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}

/// The headers of content served from the archive.
enum ContentHeaders {
    /// Types a browser may show inline: raster images only (an SVG can carry script).
    static let inlineTypes: Set<String> = ["image/jpeg", "image/png", "image/gif", "image/webp"]

    static func inlineImage(_ contentType: String?) -> Bool {
        guard let type = contentType?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() else { return false }
        return inlineTypes.contains(type)
    }

    /// `attachment` with the name made safe for the header: an ASCII fallback, and the real
    /// name percent-encoded in `filename*` (RFC 6266), so no quote, newline or path gets through.
    static func disposition(fileName: String, inline: Bool) -> String {
        let base = (fileName as NSString).lastPathComponent
        let ascii = String(base.unicodeScalars.map { scalar -> Character in
            scalar.isASCII && scalar.value >= 0x20 && scalar.value != 0x7F && !"\"\\;%/".unicodeScalars.contains(scalar) ? Character(scalar) : "_"
        }.prefix(150))
        var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)...Unicode.Scalar(0x7F)))
        allowed.insert(charactersIn: "-._~")
        let encoded = base.addingPercentEncoding(withAllowedCharacters: allowed) ?? ascii
        return (inline ? "inline" : "attachment") + "; filename=\"\(ascii.isEmpty ? "download" : ascii)\"; filename*=UTF-8''\(encoded)"
    }

    /// The recorded type, when it is a well-formed `type/subtype`; else a type no browser renders.
    static func contentType(_ recorded: String?) -> String {
        guard let recorded, recorded.utf8.count <= 200,
              recorded.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x20 && $0.value != 0x7F }),
              recorded.split(separator: ";").first?.split(separator: "/").count == 2 else { return "application/octet-stream" }
        return recorded
    }
}
