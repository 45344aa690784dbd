/// Whether an entry is deflated or stored. Deflating JPEG, MP4 or ZIP spends CPU for
/// nothing, so content that is already compressed is stored: by its type when that is known,
/// else by a quick entropy check of its first bytes.
public struct CompressionPolicy: Sendable, Equatable {
    /// zlib level for what is deflated, 1-9.
    public var level: Int32
    /// Entropy, in bits per byte, at or above which a sample counts as already compressed.
    public var entropyThreshold: Double

    public init(level: Int32 = 6, entropyThreshold: Double = 7.5) {
        self.level = level
        self.entropyThreshold = entropyThreshold
    }

    static let compressedTypes: Set<String> = [
        "image/jpeg", "image/png", "image/gif", "image/webp", "image/heic", "image/avif",
        "video/mp4", "video/quicktime", "video/webm", "video/3gpp",
        "audio/mp4", "audio/m4a", "audio/x-m4a", "audio/aac", "audio/mpeg", "audio/ogg", "audio/webm",
        "application/zip", "application/gzip", "application/x-gzip", "application/x-7z-compressed",
        "application/x-xz", "application/x-bzip2", "application/zstd", "application/x-rar-compressed",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ]

    /// True when the entry should be stored rather than deflated.
    public func shouldStore(contentType: String?, sample: ArraySlice<UInt8>) -> Bool {
        if let type = contentType?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased(),
           Self.compressedTypes.contains(type) {
            return true
        }
        if Self.hasCompressedMagic(sample) { return true }
        return sample.count >= 4096 && Self.entropy(sample) >= entropyThreshold
    }

    static func hasCompressedMagic(_ bytes: ArraySlice<UInt8>) -> Bool {
        let b = Array(bytes.prefix(12))
        guard b.count >= 4 else { return false }
        if b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF { return true }                 // JPEG
        if b[0] == 0x89 && b[1] == 0x50 && b[2] == 0x4E && b[3] == 0x47 { return true } // PNG
        if b[0] == 0x50 && b[1] == 0x4B && b[2] == 0x03 && b[3] == 0x04 { return true } // ZIP
        if b[0] == 0x1F && b[1] == 0x8B { return true }                                 // gzip
        if b.count >= 8 && b[4...7].elementsEqual("ftyp".utf8) { return true }          // MP4, M4A
        return false
    }

    /// Shannon entropy of the bytes, in bits per byte (0...8).
    static func entropy(_ bytes: ArraySlice<UInt8>) -> Double {
        var counts = [Int](repeating: 0, count: 256)
        for byte in bytes { counts[Int(byte)] += 1 }
        let total = Double(bytes.count)
        return counts.reduce(0.0) { sum, count in
            guard count > 0 else { return sum }
            let p = Double(count) / total
            return sum - p * log2(p)
        }
    }
}

import Foundation
