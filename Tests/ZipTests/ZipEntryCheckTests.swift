import Testing
import TestSupport
import Zip

/// Each entry's name, kind, encryption, method and sizes, checked before anything is read.
@Suite struct ZipEntryCheckTests {
    static let badNames: [(name: [UInt8], problem: ZipError.Problem)] = [
        (Array("../x.csv".utf8), .parentDirectoryInName),
        (Array("a/../../x.csv".utf8), .parentDirectoryInName),
        (Array("a/..".utf8), .parentDirectoryInName),
        (Array("./x.csv".utf8), .currentDirectoryInName),
        (Array("/etc/passwd".utf8), .absolutePath),
        (Array("\\x.csv".utf8), .absolutePath),
        (Array("C:x.csv".utf8), .absolutePath),
        (Array("c:/x.csv".utf8), .absolutePath),
        (Array("a\\..\\x.csv".utf8), .backslashInName),
        (Array("a\0.csv".utf8), .controlCharacterInName),
        (Array("a\n.csv".utf8), .controlCharacterInName),
        (Array("a\u{7f}.csv".utf8), .controlCharacterInName),
        (Array("a\u{85}.csv".utf8), .controlCharacterInName),
        (Array("a//x.csv".utf8), .emptyPathComponent),
        ([], .emptyPathComponent),
        ([0x61, 0xff, 0x2e, 0x63], .nameNotUTF8),
        // Shift JIS for 山田: not UTF-8, whatever the flag says.
        ([0x8e, 0x52, 0x93, 0x63, 0x2e, 0x63, 0x73, 0x76], .nameNotUTF8),
        // An overlong encoding of "/".
        ([0x61, 0xc0, 0xaf, 0x62], .nameNotUTF8),
    ]

    @Test(arguments: 0..<badNames.count)
    func refusesUnsafeNames(index: Int) throws {
        let (name, problem) = Self.badNames[index]
        for flags: UInt16 in [0, 1 << 11] {
            var entry = CraftedEntry.stored("x", "a\n")
            entry.name = name
            entry.flags = flags
            let zip = CraftedZip([.stored("fine.csv", "a\n"), entry])
            #expect(refusal(zip)?.problem == problem, "\(name) with flags \(flags)")
        }
    }

    @Test func refusesNamesOverTheLimit() throws {
        let long = String(repeating: "山", count: 400)  // 1,200 bytes
        #expect(refusal(CraftedZip([.stored(long, "a\n")]))?.problem == .nameTooLong(bytes: 1_200, limit: 1_024))
        #expect(refusal(CraftedZip([.stored(long, "a\n")]), limits: ZipLimits(maxNameBytes: 2_000)) == nil)
    }

    @Test func checksDirectoryEntriesToo() throws {
        #expect(refusal(CraftedZip([.directory("../up/"), .stored("a.csv", "a\n")]))?.problem == .parentDirectoryInName)
        var full = CraftedEntry.stored("dir/", "data")
        full.externalAttributes = 0o040755 << 16
        #expect(refusal(CraftedZip([full]))?.problem == .directoryWithData)
        var fileAsDirectory = CraftedEntry.stored("a.csv", "a\n")
        fileAsDirectory.externalAttributes = 0o040755 << 16
        #expect(refusal(CraftedZip([fileAsDirectory]))?.problem == .notARegularFile(mode: 0o040755))
    }

    @Test func refusesSymlinksAndOtherNonRegularFiles() throws {
        var link = CraftedEntry.stored("chat.csv", "/etc/passwd")
        link.externalAttributes = 0o120777 << 16
        #expect(refusal(CraftedZip([.stored("a.csv", "a\n"), link])) ==
                ZipError(file: "backup.zip", entry: "chat.csv", problem: .symlink))
        var macLink = link
        macLink.versionMadeBy = 19 << 8 | 30
        #expect(refusal(CraftedZip([macLink]))?.problem == .symlink)
        for mode: UInt32 in [0o010644, 0o020644, 0o060644, 0o140644] {
            var special = CraftedEntry.stored("a.csv", "a\n")
            special.externalAttributes = mode << 16
            #expect(refusal(CraftedZip([special]))?.problem == .notARegularFile(mode: mode))
        }
        // Permissions alone (no type bits), and DOS attributes from a Windows writer, are fine.
        var permissionsOnly = CraftedEntry.stored("a.csv", "a\n")
        permissionsOnly.externalAttributes = 0o644 << 16
        var dos = CraftedEntry.stored("b.csv", "b\n")
        dos.versionMadeBy = 20
        dos.externalAttributes = 0x20
        #expect(refusal(CraftedZip([permissionsOnly, dos])) == nil)
    }

    @Test func refusesTheWholeZipForOneEncryptedEntry() throws {
        for bit: UInt16 in [0, 6, 13] {
            var secret = CraftedEntry.stored("b.csv", "b\n")
            secret.flags |= 1 << bit
            let zip = CraftedZip([.stored("a.csv", "a\n"), secret, .stored("c.csv", "c\n")])
            #expect(refusal(zip) == ZipError(file: "backup.zip", entry: "b.csv", problem: .encrypted), "bit \(bit)")
        }
    }

    @Test func refusesCompressionMethodsOtherThanStoredAndDeflate() throws {
        for method: UInt16 in [1, 9, 12, 14, 93, 99] {
            var entry = CraftedEntry.deflated("a.csv", csvLike(bytes: 500))
            entry.method = method
            #expect(refusal(CraftedZip([entry]))?.problem == .unsupportedCompression(method: method))
        }
        var stored = CraftedEntry.stored("a.csv", "abc")
        stored.uncompressedSize = 4
        #expect(refusal(CraftedZip([stored]))?.problem == .storedSizesDiffer)
    }

    @Test func refusesDuplicateNames() throws {
        let zip = CraftedZip([.stored("a.csv", "a\n"), .stored("b.csv", "b\n"), .stored("a.csv", "other\n")])
        #expect(refusal(zip) == ZipError(file: "backup.zip", entry: "a.csv", problem: .duplicateName))
        // Only byte-equal names: case differs, so these are two entries.
        #expect(refusal(CraftedZip([.stored("a.csv", "a\n"), .stored("A.csv", "A\n")])) == nil)
    }

    @Test func refusesEntriesOverTheSizeLimits() throws {
        let csv = csvLike(bytes: 10_000)
        let entry = CraftedEntry.deflated("a.csv", csv)
        #expect(refusal(CraftedZip([entry]), limits: ZipLimits(maxEntryBytes: 9_999))?.problem ==
                .entryTooLarge(size: 10_000, limit: 9_999))
        #expect(refusal(CraftedZip([entry]), limits: ZipLimits(maxEntryBytes: 10_000)) == nil)
        let three = CraftedZip([entry, .deflated("b.csv", csv), .deflated("c.csv", csv)])
        #expect(refusal(three, limits: ZipLimits(maxTotalBytes: 29_999)) ==
                ZipError(file: "backup.zip", entry: nil, problem: .totalTooLarge(limit: 29_999)))
        #expect(refusal(three, limits: ZipLimits(maxTotalBytes: 30_000)) == nil)
        #expect(refusal(CraftedZip([entry, .stored("b.csv", "b\n")]), limits: ZipLimits(maxEntries: 1))?.problem ==
                .tooManyEntries(count: 2, limit: 1))
    }

    @Test func refusesABombsCompressionRatio() throws {
        var bomb = CraftedEntry.deflated("a.csv", [UInt8](repeating: 0x30, count: 1 << 20))
        #expect(refusal(CraftedZip([bomb]))?.problem ==
                .compressionRatioTooHigh(uncompressed: 1 << 20, compressed: UInt64(bomb.compressedSize), limit: 100))
        #expect(refusal(CraftedZip([bomb]), limits: ZipLimits(maxRatio: 2_000)) == nil)
        // Nothing compressed into something: an infinite ratio.
        bomb.data = []
        bomb.compressedSize = 0
        #expect(refusal(CraftedZip([bomb]))?.problem == .compressionRatioTooHigh(uncompressed: 1 << 20, compressed: 0, limit: 100))
    }
}
