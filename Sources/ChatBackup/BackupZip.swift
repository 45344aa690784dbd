import Foundation
import ZIPFoundation

/// How much a backup zip may hold before it is refused as hostile: the OA Manager's zips hold a
/// CSV of at most a few megabytes per chat.
public struct BackupZipLimits: Sendable, Equatable {
    public var maxEntries = 20_000
    public var maxEntryBytes: UInt64 = 256 << 20
    public var maxTotalBytes: UInt64 = 8 << 30
    /// Expanded size over compressed size, for entries larger than `ratioFloorBytes`.
    public var maxRatio: UInt64 = 100
    public var ratioFloorBytes: UInt64 = 1 << 20

    public init() {}
}

/// An OA Manager zip: one CSV per chat. Every entry is checked before a byte is extracted, and
/// an entry is only ever streamed to a consumer, never to a path named by the zip, so nothing
/// can be written outside the place the caller chose.
public struct BackupZip {
    /// A CSV in the zip.
    public struct Entry: Sendable, Equatable {
        /// The entry's name as the zip gives it (a path inside the zip).
        public var name: String
        public var declaredBytes: UInt64
    }

    public let path: String
    public let limits: BackupZipLimits
    /// The CSV entries, in the zip's order; directories and other files are left out.
    public let entries: [Entry]
    private let archive: Archive

    /// Opens the zip and checks every entry: a name that climbs out (`..`) or is absolute, a
    /// symbolic link, too many entries, too large, or compressed past the ratio of a bomb each
    /// refuse the whole zip, naming the entry.
    public init(path: String, limits: BackupZipLimits = BackupZipLimits()) throws(ChatBackupError) {
        self.path = path
        self.limits = limits
        let archive: Archive
        do {
            archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        } catch {
            throw ChatBackupError(file: path, line: 0, problem: "not a readable zip")
        }
        self.archive = archive
        var entries: [Entry] = [], count = 0, total: UInt64 = 0
        for entry in archive {
            count += 1
            guard count <= limits.maxEntries else {
                throw ChatBackupError(file: path, line: 0, problem: "refused: more than \(limits.maxEntries) entries")
            }
            let name = Self.name(of: entry)
            if let problem = Self.nameProblem(name) { throw ChatBackupError(file: path, line: 0, problem: "refused: entry \(Self.quoted(name)) \(problem)") }
            switch entry.type {
            case .symlink: throw ChatBackupError(file: path, line: 0, problem: "refused: entry \(Self.quoted(name)) is a symbolic link")
            case .directory: continue
            case .file: break
            }
            let size = entry.uncompressedSize
            guard size <= limits.maxEntryBytes else {
                throw ChatBackupError(file: path, line: 0, problem: "refused: entry \(Self.quoted(name)) expands to \(size) bytes (at most \(limits.maxEntryBytes))")
            }
            if size > limits.ratioFloorBytes, size / max(entry.compressedSize, 1) > limits.maxRatio {
                throw ChatBackupError(file: path, line: 0, problem: "refused: entry \(Self.quoted(name)) is compressed more than \(limits.maxRatio) to 1 (a zip bomb?)")
            }
            total += size
            guard total <= limits.maxTotalBytes else {
                throw ChatBackupError(file: path, line: 0, problem: "refused: the entries expand to more than \(limits.maxTotalBytes) bytes")
            }
            if name.lowercased().hasSuffix(".csv") { entries.append(Entry(name: name, declaredBytes: size)) }
        }
        self.entries = entries
    }

    /// Streams one entry's bytes to `consumer`, stopping at the size it declared: a zip whose
    /// data expands past its own directory is refused, not believed.
    public func extract(_ entry: Entry, to consumer: (Data) throws -> Void) throws(ChatBackupError) {
        guard let found = archive.first(where: { Self.name(of: $0) == entry.name }) else {
            throw ChatBackupError(file: path, line: 0, problem: "entry \(Self.quoted(entry.name)) is gone")
        }
        var written: UInt64 = 0
        do {
            _ = try archive.extract(found, consumer: { chunk in
                written += UInt64(chunk.count)
                guard written <= entry.declaredBytes else { throw Overflow() }
                try consumer(chunk)
            })
        } catch is Overflow {
            throw ChatBackupError(file: path, line: 0, problem: "refused: entry \(Self.quoted(entry.name)) expands past the size it declares")
        } catch let error as ChatBackupError {
            throw error
        } catch {
            throw ChatBackupError(file: path, line: 0, problem: "entry \(Self.quoted(entry.name)) cannot be read (a damaged zip, or its checksum is wrong)")
        }
    }

    private struct Overflow: Error {}

    /// UTF-8 when the name's bytes are UTF-8 (LINE's names are Japanese), else what the zip says.
    static func name(of entry: ZIPFoundation.Entry) -> String {
        let utf8 = entry.path(using: .utf8)
        return utf8.isEmpty ? entry.path : utf8
    }

    /// Why a name cannot be taken, or nil. The name is never used as a path; refusing these
    /// still says what the zip is.
    static func nameProblem(_ name: String) -> String? {
        if name.hasPrefix("/") || name.hasPrefix("\\") || (name.count > 1 && Array(name)[1] == ":") { return "is an absolute path" }
        let parts = name.split(whereSeparator: { $0 == "/" || $0 == "\\" })
        if parts.contains("..") { return "climbs out of the zip with '..'" }
        if name.unicodeScalars.contains(where: { $0.value < 0x20 }) { return "holds a control character" }
        return nil
    }

    /// A name for a message: control characters shown as escapes, and at most 120 characters.
    static func quoted(_ name: String) -> String {
        let shown = name.unicodeScalars.map { $0.value < 0x20 ? "\\u{\(String($0.value, radix: 16))}" : String($0) }.joined()
        return "'" + (shown.count > 120 ? String(shown.prefix(120)) + "…" : shown) + "'"
    }
}
