import Foundation

/// Why a zip, or one entry in it, was refused. The description names the file and the entry,
/// for the staff who uploaded it: `backup.zip: entry 'a/b.csv': <reason>`.
public struct ZipError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The zip's file name (its last path component).
    public let file: String
    /// The entry's name, made printable (see `printableName`), when the problem is one entry's.
    public let entry: String?
    /// What is wrong.
    public let problem: Problem

    /// An error about `file`, or about one `entry` in it.
    public init(file: String, entry: String? = nil, problem: Problem) {
        self.file = file
        self.entry = entry
        self.problem = problem
    }

    public var description: String {
        if let entry { return "\(file): entry '\(entry)': \(problem)" }
        return "\(file): \(problem)"
    }

    /// Each check the reader makes, one case apiece.
    public enum Problem: Equatable, Sendable, CustomStringConvertible {
        // The file as a whole.
        /// The file could not be opened or read.
        case unreadable(detail: String)
        /// No zip signature at the start and no end record: some other kind of file.
        case notAZip
        /// Starts like a zip but has no end-of-central-directory record (cut short, or damaged).
        case noEndOfCentralDirectory
        /// The central directory runs past where the end record starts.
        case truncatedCentralDirectory
        /// The central directory is not a run of entry records filling exactly its declared size.
        case malformedCentralDirectory(detail: String)
        /// The end record's entry count disagrees with the records actually there.
        case entryCountMismatch(declared: Int)
        /// A zip64 archive (0xFFFF/0xFFFFFFFF markers or the zip64 end locator).
        case zip64
        /// An archive split over several disks.
        case multiDisk
        /// More entries than the limit.
        case tooManyEntries(count: Int, limit: Int)
        /// Declared uncompressed sizes add up to more than the limit.
        case totalTooLarge(limit: UInt64)

        // An entry's name.
        /// A name longer than the limit.
        case nameTooLong(bytes: Int, limit: Int)
        /// A name that is not valid UTF-8.
        case nameNotUTF8
        /// A `..` path component.
        case parentDirectoryInName
        /// A `.` path component.
        case currentDirectoryInName
        /// `/x`, `\x` or `C:`.
        case absolutePath
        /// A backslash, which Windows reads as a separator.
        case backslashInName
        /// NUL or another control character.
        case controlCharacterInName
        /// An empty name, or an empty component (`a//b`).
        case emptyPathComponent
        /// The same name as an earlier entry.
        case duplicateName

        // An entry's kind and encoding.
        /// A symbolic link.
        case symlink
        /// A Unix device, FIFO, socket or another non-regular file (the file type bits of its mode).
        case notARegularFile(mode: UInt32)
        /// A directory entry (name ending in `/`) that has data.
        case directoryWithData
        /// Encrypted (general purpose flag bit 0).
        case encrypted
        /// A compression method other than stored (0) or deflate (8).
        case unsupportedCompression(method: UInt16)
        /// A stored entry whose compressed and uncompressed sizes differ.
        case storedSizesDiffer
        /// Declared uncompressed size over the limit.
        case entryTooLarge(size: UInt64, limit: UInt64)
        /// Uncompressed size over `limit` times the compressed size (a zip bomb's shape).
        case compressionRatioTooHigh(uncompressed: UInt64, compressed: UInt64, limit: UInt64)

        // Where an entry's bytes are.
        /// No local header signature at the offset the central directory gives.
        case missingLocalHeader
        /// The local header's name is not the central directory's.
        case localNameMismatch
        /// The entry's data runs past the end of the file (a cut file).
        case entryDataPastEnd
        /// The entry's header and data overlap another entry's.
        case overlappingEntries(other: String)
        /// The entry's header and data run into the central directory.
        case overlapsCentralDirectory

        // Reading an entry.
        /// `read` was given an entry that is not one of this reader's.
        case unknownEntry
        /// The deflate stream needs more than the entry's compressed bytes.
        case compressedDataTruncated
        /// zlib found the deflate data invalid.
        case compressedDataCorrupt(detail: String)
        /// The deflate stream ended before all the entry's compressed bytes were used.
        case trailingCompressedData
        /// Inflating produced more than the declared uncompressed size (inflating stopped there).
        case uncompressedSizeExceeded(declared: UInt64)
        /// Inflating produced less than the declared uncompressed size.
        case uncompressedSizeShort(declared: UInt64, actual: UInt64)
        /// The CRC-32 of the bytes read is not the one the central directory gives.
        case crcMismatch(expected: UInt32, actual: UInt32)

        public var description: String {
            switch self {
            case .unreadable(let detail): return "cannot be read: \(detail)"
            case .notAZip: return "is not a zip file"
            case .noEndOfCentralDirectory: return "has no end-of-central-directory record: the zip is cut short or damaged"
            case .truncatedCentralDirectory: return "the central directory is cut short"
            case .malformedCentralDirectory(let detail): return "the central directory is damaged: \(detail)"
            case .entryCountMismatch(let declared):
                return "the end record declares \(declared) entries, not the number the central directory holds"
            case .zip64: return "is a zip64 archive, which is not supported (archives over 4 GiB or 65,535 entries are over the limits anyway)"
            case .multiDisk: return "is split over several disks, which is not supported"
            case .tooManyEntries(let count, let limit): return "has \(count) entries, more than the limit of \(limit)"
            case .totalTooLarge(let limit): return "uncompresses to more than the limit of \(limit) bytes in all"
            case .nameTooLong(let bytes, let limit): return "the name is \(bytes) bytes long, more than the limit of \(limit)"
            case .nameNotUTF8: return "the name is not valid UTF-8"
            case .parentDirectoryInName: return "the name has a '..' component"
            case .currentDirectoryInName: return "the name has a '.' component"
            case .absolutePath: return "the name is an absolute path"
            case .backslashInName: return "the name has a backslash"
            case .controlCharacterInName: return "the name has a NUL or another control character"
            case .emptyPathComponent: return "the name is empty or has an empty component"
            case .duplicateName: return "the name appears more than once"
            case .symlink: return "is a symbolic link"
            case .notARegularFile(let mode): return "is not a regular file (mode 0o\(String(mode, radix: 8)))"
            case .directoryWithData: return "is a directory but has data"
            case .encrypted: return "is encrypted"
            case .unsupportedCompression(let method): return "uses compression method \(method); only stored (0) and deflate (8) are supported"
            case .storedSizesDiffer: return "is stored uncompressed but its two sizes differ"
            case .entryTooLarge(let size, let limit): return "uncompresses to \(size) bytes, more than the limit of \(limit)"
            case .compressionRatioTooHigh(let uncompressed, let compressed, let limit):
                return "\(compressed) compressed bytes claim to uncompress to \(uncompressed), more than \(limit) times as many"
            case .missingLocalHeader: return "has no local header where the central directory says"
            case .localNameMismatch: return "the local header's name differs from the central directory's"
            case .entryDataPastEnd: return "the data runs past the end of the file: the zip is cut short"
            case .overlappingEntries(let other): return "the data overlaps entry '\(other)'"
            case .overlapsCentralDirectory: return "the data overlaps the central directory"
            case .unknownEntry: return "is not an entry of this zip"
            case .compressedDataTruncated: return "the compressed data ends before the deflate stream does"
            case .compressedDataCorrupt(let detail): return "the compressed data is corrupt: \(detail)"
            case .trailingCompressedData: return "the deflate stream ends before the compressed data does"
            case .uncompressedSizeExceeded(let declared): return "uncompresses to more than its declared \(declared) bytes"
            case .uncompressedSizeShort(let declared, let actual): return "uncompresses to \(actual) bytes, not its declared \(declared)"
            case .crcMismatch(let expected, let actual):
                return "CRC-32 mismatch: the zip says \(hex(expected)), the data gives \(hex(actual))"
            }
        }

        private func hex(_ value: UInt32) -> String {
            let digits = String(value, radix: 16)
            return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
        }
    }
}

/// An entry name as an error message can show it: invalid UTF-8 replaced, control characters
/// escaped (a hostile name must not drive the terminal that shows the error), long names cut.
func printableName(_ bytes: [UInt8]) -> String {
    var result = ""
    for scalar in String(decoding: bytes, as: UTF8.self).unicodeScalars {
        if result.unicodeScalars.count >= 200 {
            result += "…"
            break
        }
        if scalar.properties.generalCategory == .control || scalar == "'" || scalar == "\\" {
            result += scalar.escaped(asASCII: true)
        } else {
            result.unicodeScalars.append(scalar)
        }
    }
    return result
}

/// A problem found inside the module, with the entry's raw name when it is one entry's;
/// `ZipReader` turns it into a `ZipError` naming the file.
struct Refusal: Error {
    let problem: ZipError.Problem
    var entry: [UInt8]?

    init(_ problem: ZipError.Problem, entry: [UInt8]? = nil) {
        self.problem = problem
        self.entry = entry
    }

    init(errno code: Int32) {
        self.init(.unreadable(detail: String(cString: strerror(code))))
    }
}
