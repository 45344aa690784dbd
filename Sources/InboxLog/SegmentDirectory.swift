import Foundation

/// The inbox log's directory: `<ledger>-inbox/`, holding numbered segment files
/// (`0000000000000007.seg`), the writer's `lock`, and briefly a `.tmp` segment being zero-filled.
public struct SegmentDirectory: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    /// The log beside the ledger at `ledgerPath`.
    public init(ledgerPath: String) { self.init(path: ledgerPath + "-inbox") }

    func file(_ segment: UInt64) -> String {
        let hex = String(segment, radix: 16)
        return path + "/" + String(repeating: "0", count: max(0, 16 - hex.count)) + hex + ".seg"
    }

    /// The segment numbers present, ascending; none when the directory does not exist.
    func segments() throws(InboxLogError) -> [UInt64] {
        guard let dir = opendir(path) else {
            if errno == ENOENT { return [] }
            throw .failed("listing", path: path)
        }
        defer { closedir(dir) }
        var found: [UInt64] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard name.count == 20, name.hasSuffix(".seg"), let number = UInt64(name.prefix(16), radix: 16) else { continue }
            found.append(number)
        }
        return found.sorted()
    }

    /// Makes the directory's entries (new names, renames, removals) survive a crash.
    func sync() throws(InboxLogError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .failed("opening the directory", path: path) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw .failed("fsync of the directory", path: path) }
    }
}
