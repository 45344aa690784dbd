import Archive
import ArchiveRecord
import Foundation
import Store
import TalkVaultDomain
import DurableFile

/// What one restore wrote.
public struct RestoredFile: Sendable, Equatable {
    public var messageId: String
    public var path: String
    public var bytes: UInt64
}

public enum RestoreError: Error, Equatable, CustomStringConvertible {
    case unknownMessage(String)
    case notArchived(String)
    /// The file exists and `--force` was not given.
    case exists(String)
    case io(String)

    public var description: String {
        switch self {
        case .unknownMessage(let id): return "message \(id) is not in the ledger"
        case .notArchived(let id): return "message \(id) is not archived (yet): nothing to restore"
        case .exists(let path): return "\(path) exists; pass --force to replace it"
        case .io(let detail): return detail
        }
    }
}

/// Restores archived items into a directory: each is read from its segment by offset (only its
/// members are inflated) and checked against its SHA-256 before it gets its name. Names come
/// from `SafeName`, and files are created relative to the opened directory without following
/// symlinks, so nothing is written outside it.
public struct Restorer {
    let index: any ArchiveIndex
    let archiveDir: String

    public init(index: any ArchiveIndex, archiveDir: String) {
        self.index = index
        self.archiveDir = archiveDir
    }

    /// Restores message `id` into `directory`: its content under its original name made safe,
    /// and for content-less messages `<id>.txt` (the text) and `<id>.json` (the archived record).
    /// - Parameter names: names already written by this run; a second file wanting one of them
    ///   gets the message id added (`invoice-<id>.pdf`), so a selection never overwrites itself.
    public func restore(id: String, to directory: String, force: Bool, names: RestoreNames? = nil) throws -> [RestoredFile] {
        guard let parts = try index.archivedParts(id: id) else { throw RestoreError.unknownMessage(id) }
        let target = try TargetDirectory(path: directory)
        defer { target.close() }
        let safeId = SafeName.make(id) ?? "message"
        if let content = parts.content {
            // Media has no name of its own: it comes back as <id>.<ext>, the extension from its entry.
            let ext = (content.entry as NSString).pathExtension
            var name = parts.fileName.flatMap(SafeName.make) ?? SafeName.make(ext.isEmpty ? safeId : safeId + "." + ext) ?? safeId
            if let names { name = names.claim(name, id: safeId) }
            return [try target.write(name: name, force: force, id: id) { sink in
                try SegmentReader.read(Self.location(content.segment, content.item), archiveDir: archiveDir, sink: sink)
            }]
        }
        guard let record = parts.record else { throw RestoreError.notArchived(id) }
        let bytes = try SegmentReader.bytes(Self.location(record.segment, record.item), archiveDir: archiveDir)
        var files = [try target.write(name: safeId + ".json", force: force, id: id) { sink in
            try (bytes + [0x0A]).withUnsafeBytes { try sink($0) }
        }]
        if let text = try RecordCodec.decode(bytes).message.text {
            files.append(try target.write(name: safeId + ".txt", force: force, id: id) { sink in
                try Array((text + "\n").utf8).withUnsafeBytes { try sink($0) }
            })
        }
        return files
    }

    /// Streams message `id`'s content (or, without content, its text) to `sink`, checked.
    public func stream(id: String, to sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let parts = try index.archivedParts(id: id) else { throw RestoreError.unknownMessage(id) }
        if let content = parts.content {
            try SegmentReader.read(Self.location(content.segment, content.item), archiveDir: archiveDir, sink: sink)
            return
        }
        guard let record = parts.record else { throw RestoreError.notArchived(id) }
        let bytes = try SegmentReader.bytes(Self.location(record.segment, record.item), archiveDir: archiveDir)
        let text = try RecordCodec.decode(bytes).message.text ?? String(decoding: bytes, as: UTF8.self)
        try Array((text + "\n").utf8).withUnsafeBytes { try sink($0) }
    }

    static func location(_ segment: String, _ item: ArchivedItem) -> ItemLocation {
        ItemLocation(segment: segment, memberOffset: UInt64(item.memberOffset), memberLength: UInt64(item.memberLength),
                     offsetInMember: UInt64(item.offsetInMember), length: UInt64(item.length), sha256: item.sha256)
    }
}

/// The names one restore run has written, so files of different messages that share a name
/// each keep theirs.
public final class RestoreNames {
    private var used: Set<String> = []

    public init() {}

    /// `name`, or `name` with `-id` before its extension when this run already wrote `name`.
    func claim(_ name: String, id: String) -> String {
        guard used.contains(name) else { used.insert(name); return name }
        let ext = (name as NSString).pathExtension
        let stem = ext.isEmpty ? name : String(name.dropLast(ext.count + 1))
        let unique = stem + "-" + id + (ext.isEmpty ? "" : "." + ext)
        used.insert(unique)
        return unique
    }
}

/// A directory opened once; files are made inside it with `openat`, never following a symlink.
struct TargetDirectory {
    let path: String
    let fd: Int32

    init(path: String) throws {
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw RestoreError.io("cannot open \(path) as a directory") }
        self.path = path
    }

    func close() { Foundation.close(fd) }

    /// Writes `name` (one safe path component) through a temporary name, which becomes `name`
    /// only after `produce` has written and verified everything.
    func write(name: String, force: Bool, id: String, _ produce: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws -> RestoredFile {
        precondition(!name.contains("/") && name != "." && name != "..", "names come from SafeName")
        let temporary = ".\(name).restore-\(ProcessInfo.processInfo.processIdentifier)"
        let out = openat(fd, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o640)
        guard out >= 0 else { throw RestoreError.io("cannot create a file in \(path) (\(String(cString: strerror(errno))))") }
        var written: UInt64 = 0
        do {
            defer { Foundation.close(out) }
            try produce { bytes in
                var done = 0
                while done < bytes.count {
                    let n = Foundation.write(out, bytes.baseAddress! + done, bytes.count - done)
                    guard n > 0 else { throw RestoreError.io("write failed in \(path) (\(String(cString: strerror(errno))))") }
                    done += n
                }
                written += UInt64(bytes.count)
            }
            guard fsync(out) == 0 else { throw RestoreError.io("fsync failed in \(path)") }
        } catch {
            unlinkat(fd, temporary, 0)
            throw error
        }
        // An existing name (a symlink included) is refused; --force replaces the name itself.
        let published: Bool
        do { published = try Durable.publish(temporary: temporary, as: name, inDirectory: fd, path: path, replacing: force) } catch {
            throw RestoreError.io("\(error)")
        }
        guard published else { throw RestoreError.exists(path + "/" + name) }
        return RestoredFile(messageId: id, path: path + "/" + name, bytes: written)
    }
}
