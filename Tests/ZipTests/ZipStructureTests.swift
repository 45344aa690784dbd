import Foundation
import Testing
import TestSupport
import Zip

/// The end record, the central directory, and where entries' bytes lie.
@Suite struct ZipStructureTests {
    static let two = CraftedZip([.stored("a.csv", "one\n"), .deflated("b.csv", csvLike(bytes: 2_000))])

    @Test func refusesWhatIsNotAZip() throws {
        #expect(refusal(bytes: Array("日時,送信者,内容\n2026/11/30,山田,hi\n".utf8))?.problem == .notAZip)
        #expect(refusal(bytes: [])?.problem == .notAZip)
        #expect(refusal(bytes: [UInt8](repeating: 0, count: 100_000))?.problem == .notAZip)
    }

    @Test func refusesAZipCutShort() throws {
        let bytes = Self.two.bytes()
        for length in [4, 40, bytes.count / 2, bytes.count - 1] {
            #expect(refusal(bytes: Array(bytes[0..<length]))?.problem == .noEndOfCentralDirectory, "cut at \(length)")
        }
    }

    @Test func refusesACutCentralDirectory() throws {
        var zip = Self.two
        zip.directorySize = UInt32(Self.two.bytes().count)  // past the end record
        #expect(refusal(zip)?.problem == .truncatedCentralDirectory)
    }

    @Test func refusesACentralRecordRunningPastTheCentralDirectory() throws {
        var bytes = Self.two.bytes()
        let second = try #require(Self.secondCentralRecord(in: bytes))
        bytes[second + 30] = 0xff  // the extra field's length
        #expect(refusal(bytes: bytes)?.problem == .truncatedCentralDirectory)
    }

    @Test func refusesADamagedCentralDirectory() throws {
        var bytes = Self.two.bytes()
        let second = try #require(Self.secondCentralRecord(in: bytes))
        bytes[second] = 0x51  // the second record's signature
        #expect(refusal(bytes: bytes)?.problem == .malformedCentralDirectory(detail: "no entry record at byte \(second)"))

        var gap = Self.two
        gap.directorySize = UInt32(Self.centralDirectorySize(of: Self.two) - 1)
        #expect(refusal(gap)?.problem == .malformedCentralDirectory(detail: "bytes between it and the end record"))
    }

    @Test func refusesAnEndRecordWhoseCountLies() throws {
        for count: UInt16 in [0, 1, 3] {
            var zip = Self.two
            zip.count = count
            zip.countHere = count
            #expect(refusal(zip)?.problem == .entryCountMismatch(declared: Int(count)), "count \(count)")
        }
    }

    @Test func refusesZip64() throws {
        var locator = Self.two
        locator.zip64Locator = true
        #expect(refusal(locator)?.problem == .zip64)
        var count = Self.two
        count.count = .max
        count.countHere = .max
        #expect(refusal(count)?.problem == .zip64)
        var offset = Self.two
        offset.directoryOffset = .max
        #expect(refusal(offset)?.problem == .zip64)
        var size = CraftedEntry.stored("big.csv", "x\n")
        size.uncompressedSize = .max
        size.compressedSize = .max
        #expect(refusal(CraftedZip([size])) == ZipError(file: "backup.zip", entry: "big.csv", problem: .zip64))
        var headerOffset = CraftedEntry.stored("far.csv", "x\n")
        headerOffset.headerOffset = .max
        #expect(refusal(CraftedZip([headerOffset]))?.problem == .zip64)
    }

    @Test func refusesMultiDiskArchives() throws {
        var disk = Self.two
        disk.disk = 1
        disk.directoryDisk = 1
        #expect(refusal(disk)?.problem == .multiDisk)
        var spread = Self.two
        spread.countHere = 1
        #expect(refusal(spread)?.problem == .multiDisk)
        var entry = CraftedEntry.stored("a.csv", "a\n")
        entry.diskStart = 1
        #expect(refusal(CraftedZip([entry]))?.problem == .multiDisk)
    }

    /// 100,000 records: the end record's 16-bit count wraps, as a careless writer leaves it.
    static let hundredThousand: [UInt8] = {
        let entry = CraftedEntry.stored("f.csv", "")
        let local = entry.localHeader()
        var out: [UInt8] = []
        out.reserveCapacity(100_000 * 110)
        var directory: [UInt8] = []
        directory.reserveCapacity(100_000 * 60)
        for index in 0..<100_000 {
            let name = Array(String(format: "f%06d.csv", index).utf8)
            let offset = UInt32(out.count)
            out += local[0..<26]
            out.u16(UInt16(name.count))
            out.u16(0)
            out += name
            directory.u32(0x0201_4b50)
            directory.u16(3 << 8 | 30); directory.u16(20); directory.u16(1 << 11); directory.u16(0)
            directory.u16(0); directory.u16(0x21)
            directory.u32(0); directory.u32(0); directory.u32(0)
            directory.u16(UInt16(name.count)); directory.u16(0); directory.u16(0)
            directory.u16(0); directory.u16(0); directory.u32(0o100644 << 16)
            directory.u32(offset)
            directory += name
        }
        let directoryOffset = UInt32(out.count)
        out += directory
        out.u32(0x0605_4b50)
        out.u16(0); out.u16(0)
        out.u16(UInt16(truncatingIfNeeded: 100_000)); out.u16(UInt16(truncatingIfNeeded: 100_000))
        out.u32(UInt32(directory.count)); out.u32(directoryOffset)
        out.u16(0)
        return out
    }()

    @Test func refusesAHundredThousandEntriesQuickly() throws {
        let dir = TempDir()
        let path = writeBytes(Self.hundredThousand, in: dir)
        let clock = ContinuousClock()
        let start = clock.now
        // The count in the end record is over the limit: refused before any record is read.
        #expect(refusal(at: path)?.problem == .tooManyEntries(count: 100_000 % 65_536, limit: 20_000))
        // A limit that lets the count through still keeps no more records than the count declared.
        #expect(refusal(at: path, limits: ZipLimits(maxEntries: 200_000))?.problem == .entryCountMismatch(declared: 100_000 % 65_536))
        var lowCount = Self.hundredThousand
        lowCount.replaceSubrange(lowCount.count - 14..<lowCount.count - 10, with: [10, 0, 10, 0])
        let lowPath = writeBytes(lowCount, in: dir, name: "low.zip")
        #expect(refusal(at: lowPath)?.problem == .entryCountMismatch(declared: 10))
        // Generous: this guards against reading every record, not a benchmark.
        #expect(clock.now - start < .seconds(5))
    }

    @Test func refusesMissingAndMismatchedLocalHeaders() throws {
        var misplaced = CraftedEntry.stored("a.csv", "a\n")
        misplaced.headerOffset = 3
        #expect(refusal(CraftedZip([misplaced])) == ZipError(file: "backup.zip", entry: "a.csv", problem: .missingLocalHeader))
        var beyond = CraftedEntry.stored("a.csv", "a\n")
        beyond.headerOffset = 1_000_000
        #expect(refusal(CraftedZip([beyond]))?.problem == .missingLocalHeader)
        var renamed = CraftedEntry.stored("a.csv", "a\n")
        renamed.localName = Array("../a.csv".utf8)
        #expect(refusal(CraftedZip([renamed]))?.problem == .localNameMismatch)
        var locallyEncrypted = CraftedEntry.stored("a.csv", "a\n")
        locallyEncrypted.localFlags = 1
        #expect(refusal(CraftedZip([locallyEncrypted]))?.problem == .encrypted)
    }

    @Test func refusesEntryDataPastTheEndOfTheFile() throws {
        var cut = CraftedEntry.stored("a.csv", "a\n")
        cut.compressedSize = 1_000_000
        cut.uncompressedSize = 1_000_000
        #expect(refusal(CraftedZip([cut])) == ZipError(file: "backup.zip", entry: "a.csv", problem: .entryDataPastEnd))
    }

    @Test func refusesDataRunningIntoTheCentralDirectory() throws {
        var long = CraftedEntry.stored("a.csv", "a\n")
        long.compressedSize = 40
        long.uncompressedSize = 40
        #expect(refusal(CraftedZip([long]))?.problem == .overlapsCentralDirectory)
        // The flag of a data descriptor that is not there: the 12 bytes it would take are the
        // central directory's.
        var described = CraftedEntry.stored("a.csv", "a\n")
        described.flags |= 1 << 3
        #expect(refusal(CraftedZip([described]))?.problem == .overlapsCentralDirectory)
    }

    @Test func refusesOverlappingEntries() throws {
        // b.csv's central record points at a local header hidden inside a.csv's data.
        let inner = CraftedEntry.stored("b.csv", "hidden\n")
        var outer = CraftedEntry.stored("a.csv", inner.localHeader() + inner.data)
        outer.name = Array("a.csv".utf8)
        var pointed = inner
        pointed.headerOffset = UInt32(outer.localHeader().count)
        let zip = CraftedZip([outer, pointed])
        #expect(refusal(zip) == ZipError(file: "backup.zip", entry: "b.csv", problem: .overlappingEntries(other: "a.csv")))

        // Two records at one local header: the second's name is not the header's.
        var same = CraftedEntry.stored("c.csv", "c\n")
        same.headerOffset = 0
        #expect(refusal(CraftedZip([.stored("a.csv", "a\n"), same]))?.problem == .localNameMismatch)
    }

    @Test func namesTheFileAndEntryInItsMessage() throws {
        var entry = CraftedEntry.stored("chats/a.csv", "a\n")
        entry.method = 12
        #expect(refusal(CraftedZip([entry]))?.description ==
                "backup.zip: entry 'chats/a.csv': uses compression method 12; only stored (0) and deflate (8) are supported")
        #expect(refusal(bytes: [1, 2, 3])?.description == "backup.zip: is not a zip file")
        let missing = refusal(at: "/nonexistent/backup.zip")
        #expect(missing?.problem == .unreadable(detail: "No such file or directory"))
        // A hostile name is shown escaped: it must not drive the terminal that shows the error.
        var hostile = CraftedEntry.stored("x", "a\n")
        hostile.name = Array("a\u{1b}[2Jb'\n".utf8)
        #expect(refusal(CraftedZip([hostile]))?.entry == "a\\u{1B}[2Jb\\'\\n")
    }

    /// Where the second central record starts.
    static func secondCentralRecord(in bytes: [UInt8]) -> Int? {
        let signature: [UInt8] = [0x50, 0x4b, 0x01, 0x02]
        let starts = (0...(bytes.count - 4)).filter { Array(bytes[$0..<$0 + 4]) == signature }
        return starts.count >= 2 ? starts[1] : nil
    }

    static func centralDirectorySize(of zip: CraftedZip) -> Int {
        zip.entries.reduce(0) { $0 + 46 + $1.name.count }
    }
}
