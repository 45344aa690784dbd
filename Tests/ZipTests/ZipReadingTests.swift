import Foundation
import Gzip
import Testing
import TestSupport
import ZIPFoundation
import Zip

/// Zips that must read: as ZIPFoundation writes them, as crafted byte by byte, and big ones.
@Suite struct ZipReadingTests {
    @Test func readsJapaneseNamesAsZIPFoundationWritesThem() throws {
        let dir = TempDir()
        let path = dir.file("backup.zip")
        let stored = Array("日時,送信者,内容\n2026/11/30 10:00,山田 太郎,こんにちは\n".utf8)
        let deflated = csvLike(bytes: 50_000)
        do {
            let archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .create)
            try archive.addEntry(with: "chats/", type: .directory, uncompressedSize: Int64(0)) { (_: Int64, _: Int) in Data() }
            try add(stored, as: "chats/20261130_20261206_山田 太郎.csv", method: .none, to: archive)
            try add(deflated, as: "20261130_20261206_佐藤 花子.csv", method: .deflate, to: archive)
        }

        let reader = try ZipReader(path: path)
        #expect(reader.entries.map(\.name) == ["chats/20261130_20261206_山田 太郎.csv", "20261130_20261206_佐藤 花子.csv"])
        #expect(reader.entries.map(\.uncompressedSize) == [UInt64(stored.count), UInt64(deflated.count)])
        #expect(reader.entries[1].compressedSize < reader.entries[1].uncompressedSize)
        #expect(reader.entries[1].crc32 == CRC32.checksum(deflated))
        #expect(try readAll(reader, reader.entries[0]).bytes == stored)
        #expect(try readAll(reader, reader.entries[1]).bytes == deflated)
    }

    @Test func streamsAFiveMegabyteEntryInChunks() throws {
        let content = csvLike(bytes: 5 << 20)
        let dir = TempDir()
        let path = dir.file("big.zip")
        do {
            let archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .create)
            try add(content, as: "big.csv", method: .deflate, to: archive)
        }
        let reader = try ZipReader(path: path)
        var crc = CRC32()
        var total = 0
        var chunks = 0
        var largest = 0
        try reader.read(reader.entries[0]) { chunk in
            crc.update(chunk)
            total += chunk.count
            chunks += 1
            largest = max(largest, chunk.count)
        }
        #expect(total == content.count)
        #expect(crc.value == CRC32.checksum(content))
        #expect(chunks > 10)
        #expect(largest <= 64 * 1024)
    }

    @Test func readsCraftedStoredDeflatedAndEmptyEntries() throws {
        let dir = TempDir()
        let csv = csvLike(bytes: 10_000)
        let path = CraftedZip([
            .directory("a/"),
            .stored("a/stored.csv", "x,y\n1,2\n"),
            .deflated("a/deflated.csv", csv),
            .stored("empty.csv", ""),
            .deflated("empty-deflated.csv", []),
        ]).write(in: dir)
        let reader = try ZipReader(path: path)
        #expect(reader.entries.map(\.name) == ["a/stored.csv", "a/deflated.csv", "empty.csv", "empty-deflated.csv"])
        #expect(try reader.entries.map { try readAll(reader, $0).bytes } == [Array("x,y\n1,2\n".utf8), csv, [], []])
        // An entry can be read again, and in any order.
        #expect(try readAll(reader, reader.entries[1]).bytes == csv)
    }

    @Test func acceptsValidUTF8NamesWithoutTheUTF8Flag() throws {
        var entry = CraftedEntry.stored("20261130_20261206_山田 太郎.csv", "a\n")
        entry.flags = 0
        let dir = TempDir()
        let reader = try ZipReader(path: CraftedZip([entry]).write(in: dir))
        #expect(reader.entries.map(\.name) == ["20261130_20261206_山田 太郎.csv"])
    }

    @Test(arguments: [true, false])
    func readsDataDescriptorEntriesByTheCentralDirectory(signed: Bool) throws {
        let content = csvLike(bytes: 3_000)
        var entry = CraftedEntry.deflated("described.csv", content)
        entry.flags |= 1 << 3
        // The local header of a streamed entry has zeros where the sizes go; the descriptor has them.
        entry.zeroLocalSizes = true
        var descriptor: [UInt8] = []
        if signed { descriptor.u32(0x0807_4b50) }
        descriptor.u32(entry.crc)
        descriptor.u32(entry.compressedSize)
        descriptor.u32(entry.uncompressedSize)
        entry.trailer = descriptor
        let dir = TempDir()
        let reader = try ZipReader(path: CraftedZip([entry, .stored("next.csv", "b\n")]).write(in: dir))
        #expect(try readAll(reader, reader.entries[0]).bytes == content)
        #expect(try readAll(reader, reader.entries[1]).bytes == Array("b\n".utf8))
    }

    @Test func readsAnEmptyZipAndOneWithAComment() throws {
        let dir = TempDir()
        #expect(try ZipReader(path: CraftedZip([]).write(in: dir, name: "empty.zip")).entries.isEmpty)
        var commented = CraftedZip([.stored("a.csv", "a\n")])
        // A comment that holds an end record's signature must not be taken for the end record.
        commented.comment = [0x50, 0x4b, 0x05, 0x06] + Array("exported by LINE".utf8)
        #expect(try ZipReader(path: commented.write(in: dir)).entries.map(\.name) == ["a.csv"])
    }

    @Test func refusesAnEntryOfAnotherReader() throws {
        let dir = TempDir()
        let first = try ZipReader(path: CraftedZip([.stored("a.csv", "one\n")]).write(in: dir, name: "one.zip"))
        let second = try ZipReader(path: CraftedZip([.stored("a.csv", "two!\n")]).write(in: dir, name: "two.zip"))
        #expect(throws: ZipError(file: "two.zip", entry: "a.csv", problem: .unknownEntry)) {
            try second.read(first.entries[0]) { _ in }
        }
    }

    @Test func passesOnWhatTheChunkHandlerThrows() throws {
        struct DiskFull: Error {}
        let dir = TempDir()
        let reader = try ZipReader(path: CraftedZip([.deflated("a.csv", csvLike(bytes: 1000))]).write(in: dir))
        #expect(throws: DiskFull.self) { try reader.read(reader.entries[0]) { _ in throw DiskFull() } }
    }

    private func add(_ content: [UInt8], as name: String, method: CompressionMethod, to archive: Archive) throws {
        try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(content.count), compressionMethod: method) { position, size in
            Data(content[Int(position)..<Int(position) + size])
        }
    }
}
