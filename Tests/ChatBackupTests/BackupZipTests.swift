@testable import ChatBackup
import Foundation
import Testing
import TestSupport
import ZIPFoundation

/// A backup zip is checked whole before a byte is extracted; a hostile one is refused with its
/// reason, and nothing is ever written where the zip says.
@Suite struct BackupZipTests {
    let dir = TempDir()

    /// A zip of `entries` (name, bytes, type), deflated.
    func zip(_ name: String, _ entries: [(String, Data, Entry.EntryType)]) throws -> String {
        let path = dir.file(name)
        let archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .create)
        for (entryName, data, type) in entries {
            try archive.addEntry(with: entryName, type: type, uncompressedSize: Int64(data.count), compressionMethod: type == .file ? .deflate : .none,
                                 provider: { position, size in data.subdata(in: Int(position)..<Int(position) + size) })
        }
        return path
    }

    func refusal(_ path: String, limits: BackupZipLimits = BackupZipLimits()) -> String {
        do { _ = try BackupZip(path: path, limits: limits); return "" } catch { return error.problem }
    }

    @Test func theCSVsAreListedAndStreamedByteForByte() throws {
        let csv = Data("アカウント名,店\r\n".utf8) + Data(repeating: 0x41, count: 100_000)
        let path = try zip("ok.zip", [("backup/", Data(), .directory), ("backup/20250912_20250918_山田 太郎.csv", csv, .file),
                                      ("readme.txt", Data("x".utf8), .file)])
        let backup = try BackupZip(path: path)
        #expect(backup.entries.map(\.name) == ["backup/20250912_20250918_山田 太郎.csv"])
        var out = Data()
        try backup.extract(backup.entries[0]) { out.append($0) }
        #expect(out == csv)
    }

    @Test(arguments: [
        ("../evil.csv", "climbs out of the zip"),
        ("a/../../evil.csv", "climbs out of the zip"),
        ("/etc/evil.csv", "is an absolute path"),
        ("C:\\evil.csv", "is an absolute path"),
        ("bad\u{1}name.csv", "control character"),
    ])
    func aHostileNameRefusesTheZip(_ name: String, _ words: String) throws {
        let path = try zip("hostile.zip", [("fine.csv", Data("a".utf8), .file), (name, Data("b".utf8), .file)])
        #expect(refusal(path).contains(words), "\(refusal(path))")
    }

    @Test func aSymbolicLinkRefusesTheZip() throws {
        let path = try zip("link.zip", [("link.csv", Data("/etc/passwd".utf8), .symlink)])
        #expect(refusal(path).contains("is a symbolic link"))
    }

    @Test func aBombIsRefusedByItsRatioAndItsSize() throws {
        let path = try zip("bomb.zip", [("zeros.csv", Data(count: 8 << 20), .file)])
        #expect(refusal(path).contains("compressed more than 100 to 1"))
        var small = BackupZipLimits()
        small.maxEntryBytes = 1 << 20
        #expect(refusal(path, limits: small).contains("expands to 8388608 bytes"))
        var total = BackupZipLimits()
        total.maxRatio = .max
        total.maxTotalBytes = 12 << 20
        let two = try zip("two.zip", [("a.csv", Data(count: 8 << 20), .file), ("b.csv", Data(count: 8 << 20), .file)])
        #expect(refusal(two, limits: total).contains("the entries expand to more than"))
    }

    @Test func tooManyEntriesRefuseTheZip() throws {
        var limits = BackupZipLimits()
        limits.maxEntries = 50
        let path = try zip("many.zip", (0..<51).map { ("\($0).csv", Data("x".utf8), .file) })
        #expect(refusal(path, limits: limits).contains("more than 50 entries"))
    }

    /// An entry whose data expands past the size its directory declares is stopped at that size.
    @Test func anEntryLyingAboutItsSizeIsRefused() throws {
        let body = Data(repeating: 0x42, count: 5_000)
        let path = try zip("liar.zip", [("liar.csv", body, .file)])
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        // Both headers declare 5,000 (0x1388) as the uncompressed size: declare 100 instead.
        let declared: [UInt8] = [0x88, 0x13, 0x00, 0x00]
        var at = 0, patched = 0
        while let range = bytes[at...].firstRange(of: declared) {
            bytes.replaceSubrange(range, with: [0x64, 0x00, 0x00, 0x00])
            at = range.upperBound
            patched += 1
        }
        #expect(patched >= 1)
        try bytes.write(to: URL(fileURLWithPath: path))
        let backup = try BackupZip(path: path)
        #expect(throws: ChatBackupError.self) { try backup.extract(backup.entries[0]) { _ in } }
        do { try backup.extract(backup.entries[0]) { _ in } } catch {
            #expect(error.problem.contains("expands past the size it declares"), "\(error)")
        }
    }

    @Test func aFileThatIsNotAZipIsNamed() throws {
        let path = dir.file("not.zip")
        _ = FileManager.default.createFile(atPath: path, contents: Data("PK nope".utf8))
        #expect(refusal(path) == "not a readable zip")
    }
}
