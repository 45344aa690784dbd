import DurableFile
import Foundation

/// Where an imported file's exact bytes wait to be packed: `staging/import/<its message id>.csv` in
/// the data dir, written under a temporary name, fsynced, and published only once it is read
/// whole, so a crash never leaves a file the ledger names half-written. A dry run stages into
/// a temporary name and removes it after reading.
struct ImportStaging {
    let directory: String
    let dataDir: String
    let dryRun: Bool

    init(dataDir: String, dryRun: Bool) {
        self.dataDir = dataDir
        directory = dataDir + "/staging/import"
        self.dryRun = dryRun
    }

    /// A staged file: its bytes' SHA-256 and length, and where it is now.
    struct Staged {
        var path: String
        var sha256: String
        var size: Int64
    }

    /// Makes the directory, and removes every file in it that the ledger does not name
    /// (`keeping`, relative to the data dir): left over from an import that died before commit.
    func prepare(keeping: Set<String>) throws(ImportError) {
        do { try Durable.makeDirectories(directory) } catch { throw .staging("\(error)") }
        guard !dryRun else { return }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where !Self.inFlight(name) {
            let path = directory + "/" + name
            if !keeping.contains(relative(path)) { unlink(path) }
        }
    }

    static let lockName = "import.lock"

    /// One import at a time per data dir (`prepare` would remove another's files in flight).
    /// Not the pack lock: a long import must not keep `sweep` from downloading. flock is
    /// released by the kernel when the process dies.
    func lock() throws(ImportError) -> Int32 {
        do { try Durable.makeDirectories(dataDir) } catch { throw .staging("\(error)") }
        let path = dataDir + "/" + Self.lockName
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw .staging("cannot open the lock file \(path)") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw .locked(path)
        }
        return fd
    }

    /// A temporary file of a process still running: a dry run's, which takes no lock.
    static func inFlight(_ name: String) -> Bool {
        let parts = name.split(separator: "-")
        guard name.hasPrefix(".import-"), parts.count > 2, let pid = Int32(parts[1]), pid != getpid() else { return false }
        // EPERM: alive, another user's.
        return kill(pid, 0) == 0 || errno == EPERM
    }

    /// The path the ledger records for a staged file.
    func relative(_ path: String) -> String { String(path.dropFirst(dataDir.count + 1)) }

    /// The file at `path`, copied a chunk at a time.
    func stage(copying path: String) throws -> Staged {
        guard let input = FileHandle(forReadingAtPath: path) else {
            throw ImportError.unreadable(path: path, reason: "cannot open")
        }
        defer { try? input.close() }
        return try stage { write in
            while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty {
                try chunk.withUnsafeBytes { try write($0) }
            }
        }
    }

    /// Whatever `produce` writes, under a temporary name, fsynced. `produce` throwing (a bad
    /// zip entry, a full disk) removes it.
    func stage(_ produce: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws -> Staged {
        let temporary = directory + "/.import-\(getpid())-\(UUID().uuidString).tmp"
        let file: OutputFile
        do { file = try OutputFile(path: temporary) } catch { throw ImportError.staging("\(error)") }
        do {
            try produce { try file.write($0) }
            try file.syncAndClose()
        } catch {
            unlink(temporary)
            if case DurableFileError.io = error { throw ImportError.staging("\(error)") }
            throw error
        }
        return Staged(path: temporary, sha256: FileDigest.hex(file.hasher.finalize()), size: Int64(file.offset))
    }

    /// Gives a staged file its final name, its message's id (`oab-…`) and `.csv`, replacing a leftover of that name
    /// (the ledger names none: `prepare` would have kept it). Returns the recorded path.
    func publish(_ staged: Staged, as id: String) throws(ImportError) -> String {
        let final = directory + "/" + id + ".csv"
        unlink(final)
        do { try Durable.publish(temporary: staged.path, final: final) } catch { throw .staging("\(error)") }
        return relative(final)
    }

    /// Removes a staged file the ledger will not name.
    func discard(_ path: String) { unlink(path.hasPrefix("/") ? path : dataDir + "/" + path) }
}
