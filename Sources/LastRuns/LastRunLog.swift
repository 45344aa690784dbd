import DurableFile
import Foundation

/// The last run of each scheduled command, one small JSON file per command in the data dir's
/// `state/` directory (`state/last-run-sweep.json`), replaced whole by each run: written under a
/// temporary name, fsynced, renamed into place, the directory fsynced. A crash leaves the last
/// run before it or this one, never half a file. Command names are a closed set, so no path is
/// ever made from input.
public struct LastRunLog: Sendable {
    /// The commands whose runs are kept.
    public static let commands = ["sweep", "pack", "export", "verify", "purge"]

    /// Files larger than this are not read: a run's file is a few hundred bytes.
    static let maxFileBytes = 64 << 10

    public let dataDir: String

    public init(dataDir: String) {
        self.dataDir = dataDir
    }

    /// `<data dir>/state`.
    public var directory: String { dataDir + "/state" }

    /// Where `command`'s last run is kept; nil for a command not in `commands`.
    public func path(for command: String) -> String? {
        fileName(command).map { directory + "/" + $0 }
    }

    private func fileName(_ command: String) -> String? {
        Self.commands.contains(command) ? "last-run-\(command).json" : nil
    }

    /// Keeps `run` as its command's last run, replacing the one before.
    public func record(_ run: LastRun) throws(LastRunError) {
        guard let name = fileName(run.command) else { throw .unknownCommand(run.command) }
        let target = directory + "/" + name
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let bytes: [UInt8]
        do { bytes = Array(try encoder.encode(run)) + [0x0A] } catch { throw .io(path: target, reason: "cannot encode (\(error))") }
        do { try Durable.makeDirectories(directory) } catch { throw .io(path: error.path, reason: error.reason) }
        // The directory is opened once and the file made inside it, never through a symlink.
        let dir = open(directory, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard dir >= 0 else { throw .io(path: directory, reason: "cannot open directory (\(Errno.text()))") }
        defer { close(dir) }
        let temporary = ".\(name).tmp-\(getpid())"
        // A temporary name left by a crashed run of this pid is this run's to replace.
        unlinkat(dir, temporary, 0)
        let fd = openat(dir, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw .io(path: target, reason: "cannot create a temporary file (\(Errno.text()))") }
        var failure: String?
        bytes.withUnsafeBytes { buffer in
            var done = 0
            while done < buffer.count {
                let n = Foundation.write(fd, buffer.baseAddress! + done, buffer.count - done)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { failure = "write failed (\(Errno.text()))"; return }
                done += n
            }
        }
        if failure == nil, fsync(fd) != 0 { failure = "fsync failed (\(Errno.text()))" }
        if close(fd) != 0, failure == nil { failure = "close failed (\(Errno.text()))" }
        if let failure {
            unlinkat(dir, temporary, 0)
            throw .io(path: target, reason: failure)
        }
        do {
            try Durable.publish(temporary: temporary, as: name, inDirectory: dir, path: directory, replacing: true)
        } catch {
            throw .io(path: error.path, reason: error.reason)
        }
    }

    /// The last run of each command that has one, by command. A file that cannot be read or
    /// does not hold a run of its own command is left out.
    public func all() -> [String: LastRun] {
        var runs: [String: LastRun] = [:]
        for command in Self.commands {
            if let run = last(command) { runs[command] = run }
        }
        return runs
    }

    /// `command`'s last run; nil when there is none, the file cannot be read, or the command is
    /// not one of `commands`.
    public func last(_ command: String) -> LastRun? {
        guard let path = path(for: command), let data = Self.contents(path),
              let run = try? JSONDecoder().decode(LastRun.self, from: data), run.command == command else { return nil }
        return run
    }

    /// A regular file's bytes, up to `maxFileBytes`; nil for anything else (a symlink included).
    private static func contents(_ path: String) -> Data? {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_size <= maxFileBytes else { return nil }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return nil }
            done += n
        }
        return Data(bytes)
    }
}

/// Why a run could not be kept.
public enum LastRunError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not one of `LastRunLog.commands`.
    case unknownCommand(String)
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case .unknownCommand(let command):
            return "'\(command)' is not a command whose last run is kept (\(LastRunLog.commands.joined(separator: ", ")))"
        case .io(let path, let reason): return "\(path): \(reason)"
        }
    }
}
