import Testing
import TestSupport
import Zip

/// Reading an entry: exactly its compressed bytes in, exactly its declared size out, its CRC-32.
@Suite struct ZipInflateTests {
    let csv = csvLike(bytes: 200_000)

    @Test func refusesADeflateStreamCutShort() throws {
        var entry = CraftedEntry.deflated("a.csv", csv)
        entry.data.removeLast(20)
        entry.compressedSize -= 20
        #expect(try readRefusal(CraftedZip([entry])) == ZipError(file: "backup.zip", entry: "a.csv", problem: .compressedDataTruncated))

        var nothing = CraftedEntry.deflated("a.csv", [])
        nothing.data = []
        nothing.compressedSize = 0
        #expect(try readRefusal(CraftedZip([nothing]))?.problem == .compressedDataTruncated)
    }

    @Test func refusesCorruptDeflateData() throws {
        var entry = CraftedEntry.deflated("a.csv", csv)
        // First block: final, type 3, which deflate reserves.
        entry.data = [UInt8](repeating: 0xff, count: entry.data.count)
        #expect(try readRefusal(CraftedZip([entry]))?.problem == .compressedDataCorrupt(detail: "invalid block type"))
    }

    @Test func refusesBytesAfterTheDeflateStream() throws {
        var entry = CraftedEntry.deflated("a.csv", csv)
        entry.data += [0, 0, 0, 0]
        entry.compressedSize += 4
        #expect(try readRefusal(CraftedZip([entry]))?.problem == .trailingCompressedData)
    }

    @Test func stopsABombThatLiesAboutItsSize() throws {
        var bomb = CraftedEntry.deflated("a.csv", [UInt8](repeating: 0x30, count: 64 << 20))
        bomb.uncompressedSize = 1_000
        let dir = TempDir()
        let reader = try ZipReader(path: CraftedZip([bomb]).write(in: dir), limits: ZipLimits(maxRatio: 2_000))
        var delivered = 0
        #expect(throws: ZipError(file: "backup.zip", entry: "a.csv", problem: .uncompressedSizeExceeded(declared: 1_000))) {
            try reader.read(reader.entries[0]) { delivered += $0.count }
        }
        #expect(delivered <= 1_000)
    }

    @Test func refusesOutputShorterThanDeclared() throws {
        var deflated = CraftedEntry.deflated("a.csv", csv)
        deflated.uncompressedSize += 1
        #expect(try readRefusal(CraftedZip([deflated]))?.problem ==
                .uncompressedSizeShort(declared: UInt64(csv.count) + 1, actual: UInt64(csv.count)))
    }

    @Test(arguments: [false, true])
    func refusesACRCMismatch(deflate: Bool) throws {
        var entry = deflate ? CraftedEntry.deflated("a.csv", csv) : .stored("a.csv", csv)
        let actual = entry.crc
        entry.crc ^= 0x0000_0100
        #expect(try readRefusal(CraftedZip([entry]))?.problem == .crcMismatch(expected: entry.crc, actual: actual))
        #expect(try readRefusal(CraftedZip([entry]))?.description.hasPrefix("backup.zip: entry 'a.csv': CRC-32 mismatch") == true)
    }
}
