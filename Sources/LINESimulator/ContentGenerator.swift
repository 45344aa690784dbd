import Crypto
import Foundation
import Gzip
import TalkVaultDomain

/// Generates a message's content as a stream of chunks: deterministic from the seed and the
/// message id, exactly `size` bytes, and with the real structure of its format (JPEG markers,
/// PNG chunks with CRCs, ISO-BMFF boxes, a PDF with a correct xref table, UTF-8 text). Nothing
/// is held beyond one chunk, so a 1 GB file costs no more memory than a 1 KB one.
public struct ContentStream: Sequence, IteratorProtocol, Sendable {
    public let size: Int64
    public let contentType: String
    private var parts: [Part]
    private var partIndex = 0
    private var produced: Int64 = 0
    private var rng: SeededGenerator
    private let chunkSize: Int

    enum Part: Sendable {
        case bytes([UInt8])
        /// Random bytes; `noFF` keeps them free of JPEG markers.
        case random(Int64, noFF: Bool)
        /// PNG IDAT chunks: this much data left, in this many chunks; the last takes the rest.
        case pngData(Int64, chunks: Int64)
        /// UTF-8 text lines, padded to exactly this length.
        case text(Int64)
    }

    init(contentType: String, parts: [Part], seed: UInt64, chunkSize: Int = 64 * 1024) {
        self.contentType = contentType
        self.parts = parts
        self.rng = SeededGenerator(seed: seed)
        self.chunkSize = chunkSize
        self.size = parts.reduce(0) { total, part in
            switch part {
            case .bytes(let b): return total + Int64(b.count)
            case .random(let n, _), .text(let n): return total + n
            case .pngData(let n, let chunks): return total + n + 12 * chunks
            }
        }
    }

    static let pngChunkData: Int64 = 65_536

    public mutating func next() -> [UInt8]? {
        while partIndex < parts.count {
            switch parts[partIndex] {
            case .bytes(let bytes):
                partIndex += 1
                if !bytes.isEmpty { return bytes }
            case .random(let remaining, let noFF):
                guard remaining > 0 else { partIndex += 1; continue }
                let n = Int(Swift.min(Int64(chunkSize), remaining))
                parts[partIndex] = .random(remaining - Int64(n), noFF: noFF)
                return randomBytes(n, noFF: noFF)
            case .pngData(let remaining, let chunks):
                guard chunks > 0 else { partIndex += 1; continue }
                let n = Int(chunks == 1 ? remaining : Swift.min(Self.pngChunkData, remaining))
                parts[partIndex] = .pngData(remaining - Int64(n), chunks: chunks - 1)
                return PNG.chunk("IDAT", randomBytes(n, noFF: false))
            case .text(let remaining):
                guard remaining > 0 else { partIndex += 1; continue }
                let n = Int(Swift.min(Int64(chunkSize), remaining))
                parts[partIndex] = .text(remaining - Int64(n))
                return textBytes(n)
            }
        }
        return nil
    }

    private mutating func randomBytes(_ count: Int, noFF: Bool) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        out.withUnsafeMutableBytes { buffer in
            var i = 0
            while i + 8 <= count {
                buffer.storeBytes(of: rng.next(), toByteOffset: i, as: UInt64.self)
                i += 8
            }
            if i < count {
                var last = rng.next()
                while i < count { buffer[i] = UInt8(truncatingIfNeeded: last); last >>= 8; i += 1 }
            }
        }
        if noFF { for i in out.indices where out[i] == 0xFF { out[i] = 0xFE } }
        return out
    }

    private static let lines = [
        "お問い合わせありがとうございます。", "予約の変更をお願いします。", "Order #", "明日の10時に伺います。",
        "領収書を送付いたします。", "Thank you for your message.", "金額: ¥", "担当: 山田",
    ].map { Array($0.utf8) }

    private mutating func textBytes(_ count: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        while true {
            var line = Self.lines[Int(rng.next() % UInt64(Self.lines.count))]
            line += Array(String(rng.next() % 100_000).utf8) + [0x0A]
            // Stop before a line would not fit, and pad with ASCII so UTF-8 is never split.
            if out.count + line.count > count { break }
            out += line
        }
        out += [UInt8](repeating: UInt8(ascii: " "), count: count - out.count)
        if count > 0 { out[count - 1] = 0x0A }
        return out
    }

    /// SHA-256 of the whole stream, computed chunk by chunk.
    public func sha256() -> String {
        var hasher = SHA256()
        var copy = self
        while let chunk = copy.next() { hasher.update(data: chunk) }
        return hexString(hasher.finalize())
    }
}

/// Picks a format for a message and lays it out at exactly its size.
public enum ContentGenerator {
    /// The content of `message` under `seed`.
    public static func stream(for message: SimulatedMessage, seed: UInt64) -> ContentStream {
        let contentSeed = SeededGenerator.mix(seed, ["content", message.id])
        let size = max(message.size, 512)
        switch message.kind {
        case .image:
            return contentSeed % 4 == 0 ? png(size: size, seed: contentSeed) : jpeg(size: size, seed: contentSeed)
        case .video: return isoMedia(brand: "mp42", compatible: "mp42isomavc1", contentType: "video/mp4", size: size, seed: contentSeed)
        case .audio: return isoMedia(brand: "M4A ", compatible: "M4A mp42isom", contentType: "audio/x-m4a", size: size, seed: contentSeed)
        case .file:
            let ext = (message.fileName.map { ($0 as NSString).pathExtension.lowercased() }) ?? ""
            switch ext {
            case "pdf": return pdf(size: size, seed: contentSeed)
            case "txt", "csv", "log", "md": return ContentStream(contentType: "text/plain; charset=utf-8", parts: [.text(size)], seed: contentSeed)
            case "jpg", "jpeg": return jpeg(size: size, seed: contentSeed)
            case "png": return png(size: size, seed: contentSeed)
            default: return ContentStream(contentType: "application/octet-stream", parts: [.random(size, noFF: false)], seed: contentSeed)
            }
        case .text, .sticker, .location, .unknown:
            return ContentStream(contentType: "application/octet-stream", parts: [], seed: contentSeed)
        }
    }

    /// A small JPEG preview for an image or video.
    public static func preview(for message: SimulatedMessage, seed: UInt64) -> ContentStream {
        jpeg(size: 4_096 + Int64(SeededGenerator.mix(seed, ["preview", message.id]) % 8_192), seed: SeededGenerator.mix(seed, ["preview", message.id]))
    }

    static func jpeg(size: Int64, seed: UInt64) -> ContentStream {
        var header: [UInt8] = [0xFF, 0xD8]                                     // SOI
        header += [0xFF, 0xE0, 0x00, 0x10] + Array("JFIF".utf8) + [0, 1, 1, 0, 0, 1, 0, 1, 0, 0] // APP0
        header += [0xFF, 0xDB, 0x00, 0x43, 0x00] + (1...64).map { UInt8($0) }  // DQT
        header += [0xFF, 0xC0, 0x00, 0x11, 0x08, 0x01, 0xE0, 0x02, 0x80, 0x03, // SOF0 640x480, 3 components
                   0x01, 0x22, 0x00, 0x02, 0x11, 0x00, 0x03, 0x11, 0x00]
        header += [0xFF, 0xDA, 0x00, 0x0C, 0x03, 0x01, 0x00, 0x02, 0x11, 0x03, 0x11, 0x00, 0x3F, 0x00] // SOS
        let trailer: [UInt8] = [0xFF, 0xD9]                                    // EOI
        let body = max(0, size - Int64(header.count + trailer.count))
        return ContentStream(contentType: "image/jpeg", parts: [.bytes(header), .random(body, noFF: true), .bytes(trailer)], seed: seed)
    }

    static func png(size: Int64, seed: UInt64) -> ContentStream {
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        let ihdr = PNG.chunk("IHDR", [0, 0, 2, 0x80, 0, 0, 1, 0xE0, 8, 2, 0, 0, 0]) // 640x480 RGB
        let iend = PNG.chunk("IEND", [])
        // Each IDAT chunk costs 12 bytes of framing; the last chunk takes whatever is left.
        let available = max(12, size - Int64(signature.count + ihdr.count + iend.count))
        let chunks = max(1, available / (ContentStream.pngChunkData + 12))
        let parts: [ContentStream.Part] = [.bytes(signature + ihdr), .pngData(available - 12 * chunks, chunks: chunks), .bytes(iend)]
        return ContentStream(contentType: "image/png", parts: parts, seed: seed)
    }

    static func isoMedia(brand: String, compatible: String, contentType: String, size: Int64, seed: UInt64) -> ContentStream {
        var ftyp = Array(brand.utf8) + [0, 0, 2, 0] + Array(compatible.utf8)
        ftyp = bigEndian32(UInt32(8 + ftyp.count)) + Array("ftyp".utf8) + ftyp
        let remaining = max(16, size - Int64(ftyp.count))
        let mdat: [UInt8]
        if remaining <= Int64(UInt32.max) {
            mdat = bigEndian32(UInt32(remaining)) + Array("mdat".utf8)
        } else {
            mdat = bigEndian32(1) + Array("mdat".utf8) + bigEndian64(UInt64(remaining)) // 64-bit box size
        }
        return ContentStream(contentType: contentType,
                             parts: [.bytes(ftyp + mdat), .random(remaining - Int64(mdat.count), noFF: false)], seed: seed)
    }

    static func pdf(size: Int64, seed: UInt64) -> ContentStream {
        let header = "%PDF-1.4\n%\u{E2}\u{E3}\u{CF}\u{D3}\n"
        let objects = [
            "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n",
            "2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n",
            "3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>\nendobj\n",
        ]
        // The stream length appears in the layout, so settle it by iterating to a fixed point.
        var length: Int64 = max(0, size - 400)
        var layout: (prefix: [UInt8], suffix: [UInt8]) = ([], [])
        for _ in 0..<8 {
            var offsets: [Int] = []
            var prefix = Array(header.utf8)
            for object in objects { offsets.append(prefix.count); prefix += Array(object.utf8) }
            offsets.append(prefix.count)
            prefix += Array("4 0 obj\n<< /Length \(length) >>\nstream\n".utf8)
            let xrefOffset = prefix.count + Int(length) + "\nendstream\nendobj\n".utf8.count
            var suffix = "\nendstream\nendobj\nxref\n0 5\n0000000000 65535 f \n"
            for offset in offsets { suffix += String(format: "%010d 00000 n \n", offset) }
            suffix += "trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n\(xrefOffset)\n%%EOF\n"
            layout = (prefix, Array(suffix.utf8))
            let fitted = max(0, size - Int64(layout.prefix.count + layout.suffix.count))
            if fitted == length { break }
            length = fitted
        }
        return ContentStream(contentType: "application/pdf", parts: [.bytes(layout.prefix), .text(length), .bytes(layout.suffix)], seed: seed)
    }

    static func bigEndian32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.bigEndian, Array.init) }
    static func bigEndian64(_ v: UInt64) -> [UInt8] { withUnsafeBytes(of: v.bigEndian, Array.init) }
}

enum PNG {
    /// A PNG chunk: length, type, data, and the CRC-32 of type and data.
    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typeBytes = Array(type.utf8)
        var crc = CRC32()
        crc.update(typeBytes)
        crc.update(data)
        return ContentGenerator.bigEndian32(UInt32(data.count)) + typeBytes + data + ContentGenerator.bigEndian32(crc.value)
    }
}
