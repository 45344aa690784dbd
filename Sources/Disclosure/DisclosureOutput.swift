import Crypto
import DurableFile
import Foundation
import JSON
import Packing

/// The files of one disclosure, in its directory: each written under a temporary name, fsynced,
/// then published under its name, and entered in the manifest with its size and SHA-256. The
/// manifest's file list waits in a temporary file of its own, so a disclosure of many files
/// holds none of it in memory; `manifest.json` is written last.
final class DisclosureOutput {
    /// A file being written: published under `name` once finished.
    struct Pending {
        let name: String
        let temporary: String
        let file: OutputFile
    }

    let directory: String
    /// Whether the directory is this run's own (removed again when the run fails).
    let createdDirectory: Bool
    private let suffix = ".tmp-\(ProcessInfo.processInfo.processIdentifier)"
    private var entries: Pending?
    private var temporaries: Set<String> = []
    private var published: [String] = []
    private var filesDirectory = false
    /// Files entered in the manifest, and their bytes.
    private(set) var count = 0
    private(set) var bytes: UInt64 = 0

    init(directory: String, createdDirectory: Bool) {
        self.directory = directory
        self.createdDirectory = createdDirectory
    }

    var filesPath: String { directory + "/files" }

    /// Creates the directory (and its missing parents) and the manifest's file list.
    func create() throws {
        do { try Durable.makeDirectories(directory) } catch { throw DisclosureError.io(error.description) }
        entries = try open(".manifest-files")
    }

    /// A new file that becomes `name` in the directory when published.
    func open(_ name: String) throws -> Pending {
        let temporary = directory + "/." + name + suffix
        do {
            let file = try OutputFile(path: temporary)
            temporaries.insert(temporary)
            return Pending(name: name, temporary: temporary, file: file)
        } catch {
            throw DisclosureError.io(error.description)
        }
    }

    func write(_ pending: Pending, _ bytes: [UInt8]) throws {
        do { try pending.file.write(bytes) } catch { throw DisclosureError.io(error.description) }
    }

    /// fsyncs the file and gives it its name (never replacing one), then enters it in the manifest.
    func publish(_ pending: Pending) throws {
        do {
            try pending.file.syncAndClose()
            try Durable.publish(temporary: pending.temporary, final: directory + "/" + pending.name)
        } catch {
            throw DisclosureError.io(error.description)
        }
        temporaries.remove(pending.temporary)
        published.append(pending.name)
        try enter(pending.name, bytes: pending.file.offset, sha256: FileDigest.hex(pending.file.hasher.finalize()), messageId: nil)
    }

    /// Restores message `id`'s archived content under `files/`, checked against its SHA-256 as
    /// it is read, and enters it in the manifest with the SHA-256 of the file as written.
    func restore(_ id: String, restorer: Restorer, names: RestoreNames) throws -> (path: String, bytes: UInt64, sha256: String) {
        if !filesDirectory {
            do { try Durable.makeDirectories(filesPath) } catch { throw DisclosureError.io(error.description) }
            filesDirectory = true
        }
        let restored = try restorer.restore(id: id, to: filesPath, force: false, names: names)
        guard restored.count == 1, let file = restored.first else {
            throw DisclosureError.io("message \(id): expected its content as one file, restored \(restored.count)")
        }
        let path = "files/" + (file.path as NSString).lastPathComponent
        let digest: (sha256: String, bytes: UInt64)
        do { digest = try FileDigest.sha256(ofFile: file.path) } catch { throw DisclosureError.io(error.description) }
        try enter(path, bytes: digest.bytes, sha256: digest.sha256, messageId: id)
        return (path, digest.bytes, digest.sha256)
    }

    private func enter(_ path: String, bytes: UInt64, sha256: String, messageId: String?) throws {
        guard let entries else { preconditionFailure("create() first") }
        var entry: [String: JSONValue] = ["path": .string(path), "bytes": .int(Int64(bytes)), "sha256": .string(sha256)]
        if let messageId { entry["message_id"] = .string(messageId) }
        try write(entries, Array(((count == 0 ? "\n" : ",\n") + JSONValue.object(entry).canonicalJSON()).utf8))
        count += 1
        self.bytes += bytes
    }

    /// Writes `manifest.json`: `members`, then `files`, every file written with its size and SHA-256.
    func writeManifest(_ members: [String: JSONValue]) throws {
        guard let entries else { preconditionFailure("create() first") }
        do { try entries.file.syncAndClose() } catch { throw DisclosureError.io(error.description) }
        let manifest = try open("manifest.json")
        let head = JSONValue.object(members).canonicalJSON()
        try write(manifest, Array((String(head.dropLast()) + ",\"files\":[").utf8))
        let fd = Foundation.open(entries.temporary, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw DisclosureError.io("\(entries.temporary): cannot open (\(Errno.text()))") }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw DisclosureError.io("\(entries.temporary): read failed (\(Errno.text()))") }
            if n == 0 { break }
            try write(manifest, Array(buffer[0..<n]))
        }
        try write(manifest, Array("\n]}\n".utf8))
        do {
            try manifest.file.syncAndClose()
            try Durable.publish(temporary: manifest.temporary, final: directory + "/manifest.json")
        } catch {
            throw DisclosureError.io(error.description)
        }
        temporaries.remove(manifest.temporary)
        published.append("manifest.json")
    }

    /// Removes the manifest's file list once the manifest is published.
    func finish() throws {
        guard let entries else { return }
        unlink(entries.temporary)
        temporaries.remove(entries.temporary)
        do { try Durable.syncDirectory(directory) } catch { throw DisclosureError.io(error.description) }
    }

    /// Removes everything this run wrote: the directory was new or empty, so `files/` and the
    /// names it published are all its own.
    func removeAll() {
        for temporary in temporaries { unlink(temporary) }
        if filesDirectory { try? FileManager.default.removeItem(atPath: filesPath) }
        for name in published { unlink(directory + "/" + name) }
        if createdDirectory { rmdir(directory) }
        try? Durable.syncDirectory(createdDirectory ? (directory as NSString).deletingLastPathComponent : directory)
    }
}
