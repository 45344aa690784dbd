@testable import Archive
import Foundation
@testable import Ledger
@testable import Packing
import Store
import TalkVaultDomain
import Testing
import LedgerTestSupport
import PackingTestSupport
import TestSupport

@Suite struct RestoreTests {
    @Test func contentComesBackByteIdenticalUnderItsSafeName() throws {
        var h = try PackHarness()
        try h.fill(texts: 3)
        _ = try h.packer().pack()
        let out = h.base.dir.file("restored")
        let restorer = Restorer(index: h.ledger.archiveIndex, archiveDir: h.archiveDir)
        for (id, bytes) in h.staged {
            let files = try restorer.restore(id: id, to: out, force: false)
            #expect(files.count == 1)
            #expect(FileManager.default.contents(atPath: files[0].path).map(Array.init) == bytes)
            #expect((files[0].path as NSString).deletingLastPathComponent == out)
        }
        // "../../etc/passwd" comes back as passwd, inside the directory.
        #expect(FileManager.default.fileExists(atPath: out + "/passwd"))
        // A text message comes back as .txt and .json.
        let text = try restorer.restore(id: "mt1", to: out, force: false)
        #expect(text.map { ($0.path as NSString).lastPathComponent }.sorted() == ["mt1.json", "mt1.txt"])
        #expect(try String(contentsOfFile: out + "/mt1.txt", encoding: .utf8) == "こんにちは 1 =SUM(A1) 😀\n改行\n")
        // Nothing is replaced without --force.
        #expect(throws: RestoreError.exists(out + "/mt1.json")) { _ = try restorer.restore(id: "mt1", to: out, force: false) }
        #expect(try restorer.restore(id: "mt1", to: out, force: true).count == 2)
        #expect(throws: RestoreError.unknownMessage("nope")) { _ = try restorer.restore(id: "nope", to: out, force: false) }
    }

    @Test func aSymlinkInTheDirectoryIsReplacedNeverFollowed() throws {
        var h = try PackHarness()
        try h.fill(texts: 1)
        _ = try h.packer().pack()
        let out = h.base.dir.file("restored"), outside = h.base.dir.file("outside-target")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: outside))
        try FileManager.default.createSymbolicLink(atPath: out + "/passwd", withDestinationPath: outside)
        let restorer = Restorer(index: h.ledger.archiveIndex, archiveDir: h.archiveDir)
        #expect(throws: RestoreError.self) { _ = try restorer.restore(id: "mf3", to: out, force: false) }
        _ = try restorer.restore(id: "mf3", to: out, force: true)
        #expect(try String(contentsOfFile: outside, encoding: .utf8) == "keep me")
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: out + "/passwd")) == nil)
        #expect(FileManager.default.contents(atPath: out + "/passwd").map(Array.init) == h.staged["mf3"])
    }

    @Test func aDamagedSegmentIsNamedAndLeavesNoFile() throws {
        var h = try PackHarness()
        try h.fill(texts: 1)
        _ = try h.packer().pack()
        let segment = h.segmentPaths()[0], file = h.archiveDir + "/" + segment
        let parts = try h.ledger.archiveIndex.archivedParts(id: "mg4")!
        var bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        bytes[Int(parts.content!.item.memberOffset + parts.content!.item.memberLength / 2)] ^= 0x10
        try bytes.write(to: URL(fileURLWithPath: file))
        let out = h.base.dir.file("restored")
        do {
            _ = try Restorer(index: h.ledger.archiveIndex, archiveDir: h.archiveDir).restore(id: "mg4", to: out, force: false)
            Issue.record("a damaged member restored")
        } catch let error as ArchiveError {
            #expect("\(error)".contains(segment))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).isEmpty)
    }

    @Test func restoreWorksOnAReindexedLedger() throws {
        var h = try PackHarness()
        try h.fill(texts: 2)
        _ = try h.packer().pack()
        let fresh = try Ledger.opened(path: h.base.dir.file("rebuilt/ledger.sqlite3"), policy: .lineDefaults)
        _ = try Reindexer(archiveDir: h.archiveDir).run(into: fresh.archiveIndex, now: LedgerHarness.now)
        let files = try Restorer(index: fresh.archiveIndex, archiveDir: h.archiveDir).restore(id: "mi0", to: h.base.dir.file("r"), force: false)
        #expect(FileManager.default.contents(atPath: files[0].path).map(Array.init) == h.staged["mi0"])
    }
}
