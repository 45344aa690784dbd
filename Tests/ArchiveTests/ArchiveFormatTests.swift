@testable import Archive
import Foundation
import Testing
import DurableFile
import TalkVaultDomain
import TestSupport

/// Writes a segment of mixed entries into `dir/archive`, publishes it, and returns what went in.
struct SampleSegment {
    let archiveDir: String
    let relativePath: String
    let manifest: Manifest
    let recordLocations: [Manifest.Record]
    let fileSHA256: String
    /// Entry name → original bytes.
    let contents: [String: [UInt8]]
    /// Message id → record line.
    let records: [String: [UInt8]]

    static func write(in dir: TempDir, sequence: Int = 1, previous: Manifest.ChainLink? = nil, day: String = "2026/11/22",
                      index: Int = 1, recordCount: Int = 3000) throws -> SampleSegment {
        let archiveDir = dir.file("archive")
        let name = "talkvault-\(day.replacingOccurrences(of: "/", with: "-"))-\(String(format: "%04d", index)).tar.gz"
        let relative = "\(day)/\(name)"
        try Durable.makeDirectories(archiveDir + "/" + day)
        let writer = try SegmentWriter(directory: archiveDir + "/" + day, relativePath: relative, sequence: sequence,
                                       createdAtMs: 1_790_000_000_000, previous: previous,
                                       settings: .init(memberTarget: 64 * 1024, toolVersion: "test"))
        var generator = SystemRandomNumberGenerator()
        var contents: [String: [UInt8]] = [:]
        let inputs: [(String, [UInt8], String?)] = [
            ("content/100/photo.jpg", [0xFF, 0xD8, 0xFF, 0xE0] + (0..<300_000).map { _ in UInt8.random(in: 0...255, using: &generator) }, "image/jpeg"),
            ("content/101/議事録 11月.txt", Array(String(repeating: "会議の議事録です。次回は金曜日。\n", count: 2000).utf8), "text/plain"),
            ("content/102/small.csv", Array("a,b\n1,2\n".utf8), "text/csv"),
            ("content/103/" + String(repeating: "長い名前", count: 20) + ".pdf", Array(String(repeating: "%PDF-1.4 text\n", count: 50).utf8), "application/pdf"),
            ("content/104/empty.bin", [], nil),
            // Over 1 MiB: the entry runs over several consecutive members.
            ("content/105/big.log", Array(String(repeating: "2026-11-22 12:00:00 INFO 予約を受け付けました id=42\n", count: 50_000).utf8), "text/plain"),
        ]
        for (index, (entryName, bytes, type)) in inputs.enumerated() {
            let staged = dir.file("staged-\(index)")
            _ = FileManager.default.createFile(atPath: staged, contents: Data(bytes))
            try writer.addContent(file: staged, name: entryName, originalName: (entryName as NSString).lastPathComponent,
                                  messageId: "\(100 + index)", contentType: type, expectedSize: UInt64(bytes.count),
                                  expectedSHA256: nil, mtime: 1_790_000_000)
            contents[entryName] = bytes
        }
        var records: [String: [UInt8]] = [:]
        for n in 0..<recordCount {
            let line = Array(#"{"id":"\#(n)","text":"こんにちは \#(n) 😀","kind":"text"}"#.utf8)
            try writer.addRecord(messageId: "\(n)", json: line)
            records["\(n)"] = line
        }
        let (manifest, recordLocations, sha, _) = try writer.finish()
        try Durable.publish(temporary: writer.temporaryPath, final: archiveDir + "/" + relative)
        return SampleSegment(archiveDir: archiveDir, relativePath: relative, manifest: manifest, recordLocations: recordLocations, fileSHA256: sha,
                             contents: contents, records: records)
    }
}

@Suite struct ArchiveFormatTests {
    @Test func everyItemReadsBackByOffsetAndTheManifestByTrailer() throws {
        let dir = TempDir()
        let sample = try SampleSegment.write(in: dir)
        #expect(try SegmentReader.manifest(segment: sample.relativePath, archiveDir: sample.archiveDir) == sample.manifest)
        for entry in sample.manifest.entries where entry.name.hasPrefix("content/") {
            let bytes = try SegmentReader.bytes(sample.manifest.location(of: entry), archiveDir: sample.archiveDir)
            #expect(bytes == sample.contents[entry.name])
        }
        #expect(sample.manifest.recordCount == 3000)
        for record in sample.recordLocations {
            #expect(try SegmentReader.bytes(sample.manifest.location(of: record), archiveDir: sample.archiveDir) == sample.records[record.messageId])
        }
        // A scan of messages.jsonl finds every record where the writer put it.
        var scanned: [Manifest.Record] = []
        try SegmentReader.records(sample.manifest, archiveDir: sample.archiveDir) { record, _ in scanned.append(record) }
        #expect(scanned.map { [$0.member, Int($0.offset), Int($0.length)] } == sample.recordLocations.map { [$0.member, Int($0.offset), Int($0.length)] })
        #expect(scanned.map(\.sha256) == sample.recordLocations.map(\.sha256))
        // The whole messages.jsonl entry reads back across its members.
        let jsonl = try SegmentReader.bytes(sample.manifest.location(of: sample.manifest.recordsEntry!), archiveDir: sample.archiveDir)
        #expect(jsonl.count == sample.records.values.reduce(0) { $0 + $1.count + 1 })
        // Records are spread over several members of at most about the target size.
        let recordMembers = Set(sample.recordLocations.map(\.member))
        #expect(recordMembers.count > 1)
        for member in recordMembers { #expect(sample.manifest.members[member].uncompressedLength < 70 * 1024) }
        // The JPEG is stored, the text deflated; small text shares a member.
        let byName = Dictionary(uniqueKeysWithValues: sample.manifest.entries.map { ($0.name, $0) })
        #expect(byName["content/100/photo.jpg"]?.stored == true)
        #expect(byName["content/101/議事録 11月.txt"]?.stored == false)
        #expect(byName["content/102/small.csv"]?.member == byName["content/103/" + String(repeating: "長い名前", count: 20) + ".pdf"]?.member)
        #expect((byName["content/105/big.log"]?.memberCount ?? 0) > 1)
        // Members tile the file up to the manifest.
        var cursor: UInt64 = 0
        for member in sample.manifest.members {
            #expect(member.offset == cursor)
            cursor += member.length
        }
    }

    @Test func standardToolsReadTheSegment() throws {
        let dir = TempDir()
        let sample = try SampleSegment.write(in: dir)
        let path = sample.archiveDir + "/" + sample.relativePath
        #expect(try run(which("gzip")!, ["-t", path]).status == 0)
        let out = dir.file("x")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let tar = try run(which("tar")!, ["-xzf", path, "-C", out])
        #expect(tar.status == 0, "\(tar.stderr)")
        for (name, bytes) in sample.contents {
            #expect(FileManager.default.contents(atPath: out + "/" + name).map(Array.init) == bytes, "\(name)")
        }
        let lines = try String(contentsOfFile: out + "/messages.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3000)
        let manifest = try Manifest.decode(Array(FileManager.default.contents(atPath: out + "/MANIFEST.json")!))
        #expect(manifest == sample.manifest)
        let python = try run(which("python3")!, ["-c", """
            import sys, tarfile
            with tarfile.open(sys.argv[1], "r:gz") as t:
                names = t.getnames()
                assert names[-1] == "MANIFEST.json", names[-1]
                for m in t.getmembers():
                    assert m.isfile() and t.extractfile(m).read().__len__() == m.size
                print(len(names))
            """, path])
        #expect(python.status == 0, "\(python.stderr)")
        #expect(python.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "\(sample.contents.count + 2)")
    }

    @Test func aFlippedByteInAMemberFailsTheRead() throws {
        let dir = TempDir()
        let sample = try SampleSegment.write(in: dir, recordCount: 10)
        let entry = sample.manifest.entries.first { $0.name == "content/101/議事録 11月.txt" }!
        let member = sample.manifest.members[entry.member]
        let path = sample.archiveDir + "/" + sample.relativePath
        var bytes = Array(FileManager.default.contents(atPath: path)!)
        bytes[Int(member.offset + member.length / 2)] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(throws: ArchiveError.self) { _ = try SegmentReader.bytes(sample.manifest.location(of: entry), archiveDir: sample.archiveDir) }
    }
}

@Suite struct SafeNameTests {
    @Test(arguments: [
        ("../../etc/passwd", "passwd"), ("/etc/shadow", "shadow"), ("..\\..\\boot.ini", "boot.ini"),
        ("..", nil), (".", nil), ("", nil), ("a/b/..", nil), (".hidden", "hidden"), ("-rf", "rf"),
        ("line\nbreak.txt", "line_break.txt"), ("nul\u{0}byte", "nul_byte"), ("写真 1.jpg", "写真 1.jpg"),
        ("C:evil.txt", "C_evil.txt"), ("\u{202E}gnp.exe", "_gnp.exe"),
    ] as [(String, String?)])
    func hostileNamesAreMadeSafe(_ input: String, _ expected: String?) {
        let safe = SafeName.make(input)
        #expect(safe == expected)
        if let safe { #expect(SafeName.isSafeRelativePath("content/1/" + safe)) }
    }

    @Test func longNamesKeepTheirExtensionWithinTheLimit() {
        let safe = SafeName.make(String(repeating: "あ", count: 300) + ".pdf")!
        #expect(safe.utf8.count <= 200)
        #expect(safe.hasSuffix(".pdf"))
    }

    @Test func unsafeEntryNamesAreRefused() throws {
        let dir = TempDir()
        let writer = try SegmentWriter(directory: dir.path, relativePath: "s.tar.gz", sequence: 1, createdAtMs: 0, previous: nil,
                                       settings: .init(toolVersion: "t"))
        let file = dir.write("f", "x")
        for name in ["../x", "/abs", "a/../b", "a//b"] {
            #expect(throws: ArchiveError.self) {
                try writer.addContent(file: file, name: name, originalName: nil, messageId: nil, contentType: nil,
                                      expectedSize: nil, expectedSHA256: nil, mtime: 0)
            }
        }
        writer.abort()
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["f"])
    }
}
