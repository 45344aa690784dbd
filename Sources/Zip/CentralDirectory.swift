/// The end-of-central-directory record: where the central directory is and how many entries
/// it declares.
struct EndRecord {
    static let signature: UInt32 = 0x0605_4b50
    static let size = 22
    /// The zip64 end locator sits just before the end record of a zip64 archive.
    static let zip64LocatorSignature: UInt32 = 0x0706_4b50

    let offset: UInt64
    let entryCount: Int
    let directoryOffset: UInt64
    let directorySize: UInt64

    /// Finds the end record: the last one whose comment reaches exactly the end of the file, so
    /// that a signature inside a comment, or bytes appended after the zip, are not taken for it.
    static func find(in file: FileBytes, limits: ZipLimits) throws(Refusal) -> EndRecord {
        let tailLength = Int(min(file.size, UInt64(size + Int(UInt16.max))))
        guard tailLength >= size, let tail = try file.bytes(at: file.size - UInt64(tailLength), count: tailLength) else {
            throw Refusal(try notAZipOrCut(file))
        }
        var at = tailLength - size
        while at >= 0 {
            if tail.u32(at) == signature, Int(tail.u16(at + 20)) == tailLength - size - at { break }
            at -= 1
        }
        guard at >= 0 else { throw Refusal(try notAZipOrCut(file)) }
        let offset = file.size - UInt64(tailLength - at)

        if offset >= 20, try file.bytes(at: offset - 20, count: 4)?.u32(0) == zip64LocatorSignature {
            throw Refusal(.zip64)
        }
        let disk = tail.u16(at + 4), directoryDisk = tail.u16(at + 6)
        let countHere = tail.u16(at + 8), count = tail.u16(at + 10)
        let directorySize = tail.u32(at + 12), directoryOffset = tail.u32(at + 16)
        // These fields at their maximum say "see the zip64 record".
        if [disk, directoryDisk, countHere, count].contains(.max) || directorySize == .max || directoryOffset == .max {
            throw Refusal(.zip64)
        }
        guard disk == 0, directoryDisk == 0, countHere == count else { throw Refusal(.multiDisk) }
        // Refused before anything is allocated per entry.
        guard Int(count) <= limits.maxEntries else { throw Refusal(.tooManyEntries(count: Int(count), limit: limits.maxEntries)) }
        let end = UInt64(directoryOffset) + UInt64(directorySize)
        guard end <= offset else { throw Refusal(.truncatedCentralDirectory) }
        guard end == offset else { throw Refusal(.malformedCentralDirectory(detail: "bytes between it and the end record")) }
        return EndRecord(offset: offset, entryCount: Int(count),
                         directoryOffset: UInt64(directoryOffset), directorySize: UInt64(directorySize))
    }

    /// A file that starts like a zip lost its end (a cut upload); anything else is not a zip.
    private static func notAZipOrCut(_ file: FileBytes) throws(Refusal) -> ZipError.Problem {
        guard let start = try file.bytes(at: 0, count: 4) else { return .notAZip }
        return [LocalHeader.signature, signature].contains(start.u32(0)) ? .noEndOfCentralDirectory : .notAZip
    }
}

/// One central directory record, checked on its own (name, kind, encryption, method, sizes).
struct CentralRecord {
    static let signature: UInt32 = 0x0201_4b50
    static let fixedSize = 46

    let nameBytes: [UInt8]
    let name: String
    let isDirectory: Bool
    let flags: UInt16
    let method: UInt16
    let crc32: UInt32
    let compressedSize: UInt64
    let uncompressedSize: UInt64
    let headerOffset: UInt64

    /// Reads every record of the central directory. The end record's count bounds the records
    /// kept, so a count that lies low cannot let more in, and one over the limit never got here.
    static func readAll(from file: FileBytes, end: EndRecord, limits: ZipLimits) throws(Refusal) -> [CentralRecord] {
        var records: [CentralRecord] = []
        records.reserveCapacity(end.entryCount)
        var seen = Set<[UInt8]>(minimumCapacity: end.entryCount)
        var total: UInt64 = 0
        var offset = end.directoryOffset
        let directoryEnd = end.directoryOffset + end.directorySize
        while offset < directoryEnd {
            guard records.count < end.entryCount else { throw Refusal(.entryCountMismatch(declared: end.entryCount)) }
            let (record, length) = try read(from: file, at: offset, directoryEnd: directoryEnd, limits: limits)
            guard seen.insert(record.nameBytes).inserted else { throw Refusal(.duplicateName, entry: record.nameBytes) }
            let (sum, overflow) = total.addingReportingOverflow(record.uncompressedSize)
            guard !overflow, sum <= limits.maxTotalBytes else { throw Refusal(.totalTooLarge(limit: limits.maxTotalBytes)) }
            total = sum
            records.append(record)
            offset += length
        }
        guard records.count == end.entryCount else { throw Refusal(.entryCountMismatch(declared: end.entryCount)) }
        return records
    }

    /// The record at `offset` and its length in bytes.
    private static func read(from file: FileBytes, at offset: UInt64, directoryEnd: UInt64,
                             limits: ZipLimits) throws(Refusal) -> (CentralRecord, UInt64) {
        guard directoryEnd - offset >= UInt64(fixedSize), let fixed = try file.bytes(at: offset, count: fixedSize) else {
            throw Refusal(.truncatedCentralDirectory)
        }
        guard fixed.u32(0) == signature else {
            throw Refusal(.malformedCentralDirectory(detail: "no entry record at byte \(offset)"))
        }
        let nameLength = Int(fixed.u16(28))
        let length = UInt64(fixedSize + nameLength + Int(fixed.u16(30)) + Int(fixed.u16(32)))
        guard directoryEnd - offset >= length else { throw Refusal(.truncatedCentralDirectory) }
        // An over-long name is shown by its start only; the rest is never read.
        let shownLength = min(nameLength, limits.maxNameBytes)
        guard let shown = try file.bytes(at: offset + UInt64(fixedSize), count: shownLength) else {
            throw Refusal(.truncatedCentralDirectory)
        }
        guard nameLength <= limits.maxNameBytes else {
            throw Refusal(.nameTooLong(bytes: nameLength, limit: limits.maxNameBytes), entry: shown)
        }
        let record = try check(fixed, nameBytes: shown, limits: limits)
        return (record, length)
    }

    private static func check(_ fixed: [UInt8], nameBytes: [UInt8], limits: ZipLimits) throws(Refusal) -> CentralRecord {
        func refuse(_ problem: ZipError.Problem) -> Refusal { Refusal(problem, entry: nameBytes) }
        let madeBy = fixed.u16(4), flags = fixed.u16(8), method = fixed.u16(10), crc = fixed.u32(16)
        let compressed = fixed.u32(20), uncompressed = fixed.u32(24), startDisk = fixed.u16(34)
        let external = fixed.u32(38), headerOffset = fixed.u32(42)
        if compressed == .max || uncompressed == .max || headerOffset == .max || startDisk == .max { throw refuse(.zip64) }
        guard startDisk == 0 else { throw refuse(.multiDisk) }

        let checked: (name: String, isDirectory: Bool)
        do throws(Refusal) { checked = try EntryName.check(nameBytes, limit: limits.maxNameBytes) } catch { throw refuse(error.problem) }

        // Unix hosts (3, and 19 for macOS) keep the mode in the high 16 bits of the external
        // attributes; other hosts keep DOS attributes there, which name no links or devices.
        let host = madeBy >> 8
        if host == 3 || host == 19 {
            let mode = external >> 16
            let type = mode & 0o170000
            if type == 0o120000 { throw refuse(.symlink) }
            let expected: UInt32 = checked.isDirectory ? 0o040000 : 0o100000
            // Type 0: the writer set permissions only.
            guard type == 0 || type == expected else { throw refuse(.notARegularFile(mode: mode)) }
        }
        // Bit 0: encrypted; bit 6: strong encryption; bit 13: the central directory's own
        // headers masked. Any of them refuses the whole zip: skipping one would hide a chat.
        guard flags & (1 << 0 | 1 << 6 | 1 << 13) == 0 else { throw refuse(.encrypted) }
        guard method == 0 || method == 8 else { throw refuse(.unsupportedCompression(method: method)) }
        if checked.isDirectory && uncompressed != 0 { throw refuse(.directoryWithData) }
        if method == 0 && compressed != uncompressed { throw refuse(.storedSizesDiffer) }
        let size = UInt64(uncompressed), compressedSize = UInt64(compressed)
        guard size <= limits.maxEntryBytes else { throw refuse(.entryTooLarge(size: size, limit: limits.maxEntryBytes)) }
        // A compressed size of 0 with data claimed is an infinite ratio.
        let (allowed, overflow) = compressedSize.multipliedReportingOverflow(by: limits.maxRatio)
        if size > 0 && !overflow && size > allowed {
            throw refuse(.compressionRatioTooHigh(uncompressed: size, compressed: compressedSize, limit: limits.maxRatio))
        }
        return CentralRecord(nameBytes: nameBytes, name: checked.name, isDirectory: checked.isDirectory, flags: flags,
                             method: method, crc32: crc, compressedSize: compressedSize, uncompressedSize: size,
                             headerOffset: UInt64(headerOffset))
    }
}
