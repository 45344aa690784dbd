import Intake
import Crypto
@testable import Export
import Foundation
@testable import Ledger
import Packing
import SQLiteDB
@testable import Sweep
import Store
import TalkVaultDomain
import Testing
import LedgerTestSupport
import TestSupport

/// Every path the ledger records is relative to the data dir: a data dir moved (a restore, a
/// new disk) keeps its staged downloads, and a copy never reads or deletes the original's.
@Suite struct DataDirMoveTests {
    @Test func recordedPathsResolveOnlyInsideTheDataDir() {
        let data = DataDir("/srv/talkvault/")
        #expect(data.path == "/srv/talkvault")
        #expect(data.relative("/srv/talkvault/staging/a-1f") == "staging/a-1f")
        #expect(data.relative("/srv/talkvault-copy/staging/a-1f") == nil)
        #expect(data.relative("/srv/talkvault/../etc/passwd") == nil)
        #expect(data.relative("/srv/talkvault") == nil)
        #expect(data.resolve("staging/a-1f") == "/srv/talkvault/staging/a-1f")
        #expect(data.resolve("/srv/talkvault/staging/a-1f") == "/srv/talkvault/staging/a-1f")
        #expect(data.resolve("/srv/original/staging/a-1f") == nil)
        #expect(data.resolve("../original/staging/a-1f") == nil)
        #expect(data.resolve("staging/../../x") == nil)
        #expect(data.resolve("") == nil)
    }

    /// An older ledger holds absolute paths: migration 7 makes `…/staging/NAME` relative (this
    /// data dir's own copy is then used); any other absolute path is never read nor deleted.
    @Test func anOlderLedgersAbsolutePathsAreMigratedAndAPathElsewhereIsNeverTouched() throws {
        let data = TempDir(), elsewhere = TempDir()
        let ledgerPath = data.file("ledger.sqlite3")
        let bytes: [String: [UInt8]] = ["f1": Array("first file".utf8), "f2": Array("second file".utf8), "i3": [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]]
        do {
            let ledger = try Ledger.opened(path: ledgerPath, policy: .lineDefaults)
            let now = SystemClock().now().milliseconds
            _ = try Capturer(ledger: ledger, clock: SystemClock()).capture([Webhook.body([
                Webhook.media("f1", type: "file", eventId: "e1", at: now, extra: ["fileName": "a.txt", "fileSize": 10]),
                Webhook.media("f2", type: "file", eventId: "e2", at: now, extra: ["fileName": "b.txt", "fileSize": 11]),
                Webhook.media("i3", type: "image", eventId: "e3", at: now),
            ])])
            // f1: this data dir's file, recorded where the data dir used to be.
            // f2: a file outside any staging dir, elsewhere. i3: the original's staging, with this copy's own copy.
            let recorded = ["f1": "/var/lib/talkvault-old/staging/f1-x", "f2": elsewhere.file("other/f2"), "i3": elsewhere.file("staging/i3-x")]
            _ = data.write("staging/f1-x", String(decoding: bytes["f1"]!, as: UTF8.self))
            _ = elsewhere.write("other/f2", String(decoding: bytes["f2"]!, as: UTF8.self))
            for dir in [data, elsewhere] {
                try FileManager.default.createDirectory(atPath: dir.file("staging"), withIntermediateDirectories: true)
                #expect(FileManager.default.createFile(atPath: dir.file("staging/i3-x"), contents: Data(bytes["i3"]!)))
            }
            for id in ["f1", "f2", "i3"] {
                try ledger.contentQueue.recordDownload(id: id, stagedFile: recorded[id]!, size: Int64(bytes[id]!.count),
                                          sha256: SHA256.hash(data: bytes[id]!).map { String(format: "%02x", $0) }.joined(),
                                          contentType: nil, at: SystemClock().now())
            }
            try ledger.db.run("""
                INSERT INTO exports(week, profile, path, sha256, rows, exported_at_ms)
                VALUES ('2026-W47', 'full', '/var/lib/talkvault-old/exports/talkvault-2026-W47.csv', 'x', 1, 1)
                """)
            try ledger.db.execute("PRAGMA user_version = 6")
        }
        let ledger = try Ledger.opened(path: ledgerPath, policy: .lineDefaults, create: false)
        #expect(try ledger.db.userVersion == Migrations.all.count)
        let paths = try ledger.rows("SELECT id, staged_file FROM messages ORDER BY id").map { $0.map(\.value) }
        #expect(paths == [[.text("f1"), .text("staging/f1-x")], [.text("f2"), .text(elsewhere.file("other/f2"))],
                          [.text("i3"), .text("staging/i3-x")]])
        #expect(try ledger.rows("SELECT path FROM exports").map { $0.map(\.value) } == [[.text("talkvault-2026-W47.csv")]])

        let report = try Packer(stores: ledger.stores, settings: PackSettings(dataDir: data.path, archiveDir: data.file("archive"),
                                                                       timeZone: TimeZone(identifier: "Asia/Tokyo")!,
                                                                       segment: .init(toolVersion: "test")),
                                clock: SystemClock()).pack()
        #expect(report.discarded == ["f2"])
        #expect(report.contentEntries == 2)
        #expect(!FileManager.default.fileExists(atPath: data.file("staging/f1-x")))
        #expect(!FileManager.default.fileExists(atPath: data.file("staging/i3-x")))
        #expect(FileManager.default.fileExists(atPath: elsewhere.file("other/f2")))
        #expect(FileManager.default.fileExists(atPath: elsewhere.file("staging/i3-x")))
        #expect(try ledger.rows("SELECT state FROM messages WHERE id = 'f2'").first?.first?.value == .text("content_due"))
    }

    /// A delivered week is found again in a moved data dir's export dir.
    @Test func aDeliveredExportIsStillDeliveredAfterTheDataDirMoves() throws {
        let parent = TempDir()
        let original = parent.file("original"), moved = parent.file("moved")
        let week = ISOWeek(parsing: "2026-W47")!, tokyo = TimeZone(identifier: "Asia/Tokyo")!
        let now = Instant(rfc3339: "2026-11-24T10:00:00+09:00")!
        func exporter(_ dataDir: String) throws -> Exporter {
            Exporter(store: try Ledger.opened(path: dataDir + "/ledger.sqlite3", policy: .lineDefaults).exportStore,
                     settings: ExportSettings(exportDir: dataDir + "/exports", timeZone: tokyo, toolVersion: "test"))
        }
        do {
            let ledger = try Ledger.opened(path: original + "/ledger.sqlite3", policy: .lineDefaults)
            _ = try Capturer(ledger: ledger, clock: SystemClock()).capture([Webhook.body([
                Webhook.text("w1", "予約できますか", eventId: "ew1", at: Instant(rfc3339: "2026-11-18T10:00:00+09:00")!.milliseconds),
            ])])
            _ = try ledger.readState.markRead(ids: ["w1"], by: "sato", at: Instant(rfc3339: "2026-11-23T09:00:00+09:00")!)
            let first = try exporter(original).run(week: week, force: nil, forced: false, now: now)
            #expect(first.rows == 1 && !first.alreadyDelivered)
        }
        #expect(rename(original, moved) == 0)
        let again = try exporter(moved).run(week: week, force: nil, forced: false, now: now)
        #expect(again.alreadyDelivered)
        #expect(again.csvPath == moved + "/exports/talkvault-2026-W47.csv")
    }
}
