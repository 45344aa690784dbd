/// Local headers: each entry's header must be where the central directory says, under the same
/// name, and no two entries' bytes, nor an entry's and the central directory's, may overlap
/// (overlapping entries are how a small zip claims many times its size).
enum LocalHeader {
    static let signature: UInt32 = 0x0403_4b50
    static let fixedSize = 30
    static let descriptorSignature: UInt32 = 0x0807_4b50

    /// The entries, each with where its data starts, once every header checks out.
    static func locate(_ records: [CentralRecord], in file: FileBytes, directoryOffset: UInt64) throws(Refusal) -> [ZipEntry] {
        var entries: [ZipEntry] = []
        entries.reserveCapacity(records.count)
        var spans: [(start: UInt64, end: UInt64, index: Int)] = []
        spans.reserveCapacity(records.count)
        for (index, record) in records.enumerated() {
            let (entry, end) = try locate(record, in: file, directoryOffset: directoryOffset)
            entries.append(entry)
            spans.append((record.headerOffset, end, index))
        }
        spans.sort { $0.start < $1.start }
        for (previous, next) in zip(spans, spans.dropFirst()) where next.start < previous.end {
            throw Refusal(.overlappingEntries(other: printableName(records[previous.index].nameBytes)),
                          entry: records[next.index].nameBytes)
        }
        return entries
    }

    /// The entry and the end of its bytes (header, data, and data descriptor if any).
    private static func locate(_ record: CentralRecord, in file: FileBytes,
                               directoryOffset: UInt64) throws(Refusal) -> (ZipEntry, UInt64) {
        func refuse(_ problem: ZipError.Problem) -> Refusal { Refusal(problem, entry: record.nameBytes) }
        let nameLength = record.nameBytes.count
        guard let header = try file.bytes(at: record.headerOffset, count: fixedSize + nameLength) else {
            throw refuse(record.headerOffset >= file.size ? .missingLocalHeader : .entryDataPastEnd)
        }
        guard header.u32(0) == signature else { throw refuse(.missingLocalHeader) }
        guard Int(header.u16(26)) == nameLength, header[fixedSize...].elementsEqual(record.nameBytes) else {
            throw refuse(.localNameMismatch)
        }
        // Sizes, CRC and method come from the central directory, which is authoritative (and
        // all a data descriptor entry has); only an encryption flag here is taken as a refusal.
        guard header.u16(6) & 1 == 0 else { throw refuse(.encrypted) }
        let dataOffset = record.headerOffset + UInt64(fixedSize + nameLength + Int(header.u16(28)))
        var end = dataOffset + record.compressedSize
        // Flag bit 3: a data descriptor follows the data, with or without its signature.
        if record.flags & (1 << 3) != 0 {
            guard let first = try file.bytes(at: end, count: 4) else { throw refuse(.entryDataPastEnd) }
            end += first.u32(0) == descriptorSignature ? 16 : 12
        }
        guard end <= file.size else { throw refuse(.entryDataPastEnd) }
        guard end <= directoryOffset else { throw refuse(.overlapsCentralDirectory) }
        let entry = ZipEntry(name: record.name, uncompressedSize: record.uncompressedSize,
                             compressedSize: record.compressedSize, crc32: record.crc32,
                             method: record.method, headerOffset: record.headerOffset, dataOffset: dataOffset)
        return (entry, end)
    }
}
