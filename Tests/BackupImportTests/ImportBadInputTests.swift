@testable import BackupImport
import Foundation
import Store
import TalkVaultDomain
import Testing
import TestSupport
import Zip
import ZIPFoundation

@Suite struct ImportBadInputTests {
    let h = ImportHarness()
    let good = [["User", "山田 太郎", "2025/09/12", "10:00:00", "はい"], ["Account", "鈴木", "2025/09/12", "10:00:01", "どうも"]]

    func reason(_ report: ImportReport, _ index: Int = 0) -> String? {
        if case .rejected(let why) = report.files[index].outcome { return why }
        return nil
    }

    /// Nothing of a rejected file is in the ledger or the staging dir.
    func expectNothingImported() throws {
        #expect(try h.count("SELECT count(*) FROM messages") == 0)
        #expect(try h.count("SELECT count(*) FROM import_files") == 0)
        #expect(h.staged.isEmpty)
    }

    @Test(arguments: [
        ("wrong header", "アカウント名,店\r\nタイムゾーン,'+09:00\r\nダウンロード日時,2025/09/18 14:30\r\nsender,name,date,time,text\r\n", ":4: "),
        ("no preamble", "送信者タイプ,送信者名,送信日,送信時刻,内容\r\nUser,a,2025/09/12,10:00:00,x\r\n", ":1: "),
        ("unknown sender", ImportHarness.csv([["Bot", "x", "2025/09/12", "10:00:00", "x"]]), ":5: "),
        ("field count", ImportHarness.csv([["User", "x", "2025/09/12", "10:00:00"]]), ":5: "),
        ("broken quote", ImportHarness.csv([["User", "x", "2025/09/12", "10:00:00", "ok"]]) + "User,x,2025/09/12,10:00:01,\"ひみつ\r\n", ":6: "),
        ("bad date", ImportHarness.csv([["User", "x", "2025/13/12", "10:00:00", "x"]]), ":5: "),
    ])
    func aFileThatIsNotABackupIsRejectedWholeWithItsLineAndTheOthersGoOn(_ bad: (String, String, String)) throws {
        try FileManager.default.createDirectory(atPath: h.dir.file("in"), withIntermediateDirectories: true)
        let file = h.dir.write("in/20250912_20250918_山田 太郎.csv", bad.1)
        let other = h.backup(good, chat: "佐藤", in: "in2")
        let report = try h.run(file, other)
        let why = try #require(reason(report), "\(bad.0)")
        #expect(why.hasPrefix(file + bad.2), "\(bad.0): \(why)")
        #expect(!why.contains("はい") && !why.contains("ひみつ"), "an error never quotes a message")
        #expect(report.files[1].outcome == .imported && report.rejectedFiles == 1)
        #expect(try h.count("SELECT count(*) FROM messages WHERE chat_id = 'unmatched:山田 太郎'") == 0)
        #expect(h.staged.count == 1, "only the good file waits to be packed")
    }

    @Test func aFileNamedOtherwiseAndAnEmptyFileAreRejected() throws {
        try FileManager.default.createDirectory(atPath: h.dir.file("in"), withIntermediateDirectories: true)
        let renamed = h.dir.write("in/chat.csv", ImportHarness.csv(good))
        let empty = h.dir.write("in/20250912_20250918_空.csv", "")
        let report = try h.run(renamed, empty)
        #expect(reason(report, 0)?.contains("<from>_<to>_<chat name>.csv") == true)
        #expect(reason(report, 1) != nil)
        try expectNothingImported()
    }

    @Test func aZipOfBackupsImportsEachCSVAndLeavesOtherEntriesAlone() throws {
        let path = h.dir.file("backup.zip")
        let zip = try Archive(url: URL(fileURLWithPath: path), accessMode: .create)
        for (name, text) in [("20250912_20250918_山田 太郎.csv", ImportHarness.csv(good)), ("20250912_20250918_佐藤.csv", ImportHarness.csv(good)),
                             ("readme.txt", "hi")] {
            let data = Data(text.utf8)
            try zip.addEntry(with: name, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) { position, size in
                data.subdata(in: Int(position)..<Int(position) + size)
            }
        }
        let report = try h.run(path)
        #expect(report.files.map(\.outcome) == [.imported, .imported, .skipped("not a .csv entry")])
        #expect(report.files[0].path == path + ":20250912_20250918_山田 太郎.csv" && report.newIncoming == 2 && report.newOutgoing == 2)
    }

    /// Each hostile zip is refused whole with its reason, and nothing is written outside the data dir.
    @Test func hostileZipsAreRefusedWithTheirReason() throws {
        func zip(_ name: String, _ add: (Archive) throws -> Void) throws -> String {
            let path = h.dir.file(name)
            try add(try Archive(url: URL(fileURLWithPath: path), accessMode: .create))
            return path
        }
        func entry(_ archive: Archive, _ name: String, _ data: Data, type: ZIPFoundation.Entry.EntryType = .file) throws {
            try archive.addEntry(with: name, type: type, uncompressedSize: Int64(data.count), compressionMethod: .deflate) { position, size in
                data.subdata(in: Int(position)..<Int(position) + size)
            }
        }
        let csv = Data(ImportHarness.csv(good).utf8)
        let climbing = try zip("climb.zip") { try entry($0, "../../20250912_20250918_x.csv", csv) }
        let absolute = try zip("absolute.zip") { try entry($0, "/tmp/20250912_20250918_x.csv", csv) }
        let link = try zip("link.zip") { try entry($0, "20250912_20250918_x.csv", Data("/etc/passwd".utf8), type: .symlink) }
        let bomb = try zip("bomb.zip") { try entry($0, "20250912_20250918_x.csv", Data(count: 4 << 20)) }
        let many = try zip("many.zip") { archive in for i in 0..<30 { try entry(archive, "20250912_20250918_\(i).csv", csv) } }
        var limits = ZipLimits()
        limits.maxEntries = 20
        let importer = Importer(store: h.ledger.importStore,
                                settings: ImportSettings(dataDir: h.dir.file("data"), channel: ChannelName.implicit, policy: .lineDefaults, zipLimits: limits),
                                clock: FixedClock(ImportHarness.now))
        let report = try importer.run(paths: [climbing, absolute, link, bomb, many])
        let reasons = report.files.map { if case .rejected(let why) = $0.outcome { why } else { "not rejected" } }
        #expect(reasons.count == 5)
        #expect(reasons[0].contains("..") && reasons[1].contains("absolute") && reasons[2].contains("link"), "\(reasons)")
        #expect(reasons[3].contains("times as many") && reasons[4].contains("entries"), "\(reasons)")
        try expectNothingImported()
        let outside = try FileManager.default.subpathsOfDirectory(atPath: h.dir.path).filter { !$0.hasPrefix("data") && !$0.hasSuffix(".zip") && !$0.hasPrefix("ledger") }
        #expect(outside.isEmpty, "\(outside)")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/20250912_20250918_x.csv"))
    }

    @Test func aBadMappingIsRefusedBeforeAnythingChanges() throws {
        let file = h.backup(good)
        #expect(throws: ImportError.self) { try h.run(file, maps: ["山田 太郎": "Unobody"]) }
        #expect(throws: ImportError.self) { try h.run(h.dir.file("missing.zip")) }
        try expectNothingImported()
    }

    /// A crash after staging and before the commit leaves a file the ledger does not name: the
    /// next import removes it and imports the file once.
    @Test func aFileLeftStagedByACrashIsRemovedAndTheImportRunsOnce() throws {
        let file = h.backup(good)
        try FileManager.default.createDirectory(atPath: h.dir.file("staging/import"), withIntermediateDirectories: true)
        _ = h.dir.write("staging/import/.import-999999999-x.tmp", "half")   // a process that is gone
        _ = h.dir.write("staging/import/.import-1-y.tmp", "a dry run's, in flight")
        _ = h.dir.write("staging/import/oab-0000.csv", "unnamed")
        #expect(try h.run(file).newIncoming == 1)
        #expect(h.staged.count == 2 && h.staged.contains(".import-1-y.tmp") && !h.staged.contains("oab-0000.csv"))
        #expect(try h.run(file).files.map(\.outcome) == [.alreadyImported])
    }
}
