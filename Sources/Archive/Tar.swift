/// The tar (POSIX ustar + pax) pieces a segment is made of. Every entry is a regular file;
/// `tar -x` creates the parent directories itself.
enum Tar {
    static let blockSize = 512
    /// Two zero blocks end an archive.
    static let endOfArchive = [UInt8](repeating: 0, count: 1024)
    /// ustar's size field holds 11 octal digits: 8 GiB - 1.
    static let maxUstarSize: UInt64 = (1 << 33) - 1

    /// Bytes of zero padding after `size` bytes of data.
    static func padding(after size: UInt64) -> Int {
        Int((UInt64(blockSize) - size % UInt64(blockSize)) % UInt64(blockSize))
    }

    /// The header blocks of a regular file. A pax header ('x') comes first when the name is not
    /// plain ASCII, is longer than ustar's 100 bytes, or the size exceeds ustar's limit; it
    /// carries the UTF-8 path that readers use instead of the ustar name.
    static func headers(name: String, size: UInt64, mtime: Int64) -> [UInt8] {
        let utf8 = Array(name.utf8)
        let needsPax = utf8.count > 100 || utf8.contains { $0 >= 0x80 } || size > maxUstarSize
        var out: [UInt8] = []
        if needsPax {
            var records: [UInt8] = paxRecord("path", name)
            if size > maxUstarSize { records += paxRecord("size", String(size)) }
            out += ustar(name: "PaxHeaders/" + asciiFallback(utf8, limit: 80), size: UInt64(records.count), mtime: mtime,
                         type: UInt8(ascii: "x"))
            out += records
            out += [UInt8](repeating: 0, count: padding(after: UInt64(records.count)))
        }
        out += ustar(name: asciiFallback(utf8, limit: 100), size: min(size, maxUstarSize), mtime: mtime, type: UInt8(ascii: "0"))
        return out
    }

    /// "LEN key=value\n", where LEN counts the whole record including itself.
    static func paxRecord(_ key: String, _ value: String) -> [UInt8] {
        let rest = 1 + key.utf8.count + 1 + value.utf8.count + 1
        var length = rest + 1
        while String(length).utf8.count + rest != length { length = String(length).utf8.count + rest }
        return Array("\(length) \(key)=\(value)\n".utf8)
    }

    /// A name ustar can hold: non-ASCII bytes become '_', cut to `limit` bytes.
    static func asciiFallback(_ utf8: [UInt8], limit: Int) -> String {
        String(decoding: utf8.prefix(limit).map { $0 >= 0x80 || $0 < 0x20 ? UInt8(ascii: "_") : $0 }, as: UTF8.self)
    }

    static func ustar(name: String, size: UInt64, mtime: Int64, type: UInt8) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: blockSize)
        func put(_ text: String, at offset: Int, width: Int) {
            for (index, byte) in text.utf8.prefix(width).enumerated() { block[offset + index] = byte }
        }
        func octal(_ value: UInt64, at offset: Int, width: Int) {
            let digits = String(value, radix: 8)
            put(String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits, at: offset, width: width - 1)
        }
        put(name, at: 0, width: 100)
        octal(0o644, at: 100, width: 8)
        octal(0, at: 108, width: 8)
        octal(0, at: 116, width: 8)
        octal(size, at: 124, width: 12)
        octal(UInt64(max(0, mtime)), at: 136, width: 12)
        block[156] = type
        put("ustar", at: 257, width: 6)
        put("00", at: 263, width: 2)
        put("talkvault", at: 265, width: 32)
        put("talkvault", at: 297, width: 32)
        // The checksum is summed with its own field as spaces.
        for index in 148..<156 { block[index] = UInt8(ascii: " ") }
        let sum = block.reduce(0) { $0 + Int($1) }
        let digits = String(sum, radix: 8)
        put(String(repeating: "0", count: max(0, 6 - digits.count)) + digits, at: 148, width: 6)
        block[154] = 0
        block[155] = UInt8(ascii: " ")
        return block
    }

    /// What a header block says, for checks: the entry's path (pax first), size and type.
    struct ParsedHeader: Equatable {
        var path: String
        var size: UInt64
        /// Bytes of header blocks before the data.
        var headerBytes: Int
    }

    /// Parses the header blocks at the start of `bytes`; nil when they are not a valid header.
    static func parseHeader(_ bytes: ArraySlice<UInt8>) -> ParsedHeader? {
        guard let first = parseUstar(bytes) else { return nil }
        guard first.type == UInt8(ascii: "x") else {
            return ParsedHeader(path: first.name, size: first.size, headerBytes: blockSize)
        }
        let recordsStart = bytes.startIndex + blockSize
        let recordsEnd = recordsStart + Int(first.size)
        guard recordsEnd <= bytes.endIndex else { return nil }
        var path: String?, size: UInt64?
        var cursor = recordsStart
        while cursor < recordsEnd {
            guard let space = bytes[cursor..<recordsEnd].firstIndex(of: UInt8(ascii: " ")),
                  let length = Int(String(decoding: bytes[cursor..<space], as: UTF8.self)), length > 0,
                  cursor + length <= recordsEnd else { return nil }
            let record = String(decoding: bytes[(space + 1)..<(cursor + length - 1)], as: UTF8.self)
            if let equals = record.firstIndex(of: "=") {
                let key = record[..<equals], value = String(record[record.index(after: equals)...])
                if key == "path" { path = value }
                if key == "size" { size = UInt64(value) }
            }
            cursor += length
        }
        let paxBytes = blockSize + Int(first.size) + padding(after: first.size)
        guard paxBytes + blockSize <= bytes.count, let second = parseUstar(bytes.dropFirst(paxBytes)) else { return nil }
        return ParsedHeader(path: path ?? second.name, size: size ?? second.size, headerBytes: paxBytes + blockSize)
    }

    private static func parseUstar(_ bytes: ArraySlice<UInt8>) -> (name: String, size: UInt64, type: UInt8)? {
        guard bytes.count >= blockSize else { return nil }
        let block = Array(bytes.prefix(blockSize))
        guard block[257..<262].elementsEqual("ustar".utf8) else { return nil }
        func field(_ range: Range<Int>) -> String {
            String(decoding: block[range].prefix { $0 != 0 }, as: UTF8.self)
        }
        var sum = 0
        for (index, byte) in block.enumerated() { sum += (148..<156).contains(index) ? 32 : Int(byte) }
        guard let stored = Int(field(148..<156).trimmingCharacters(in: " "), radix: 8), stored == sum,
              let size = UInt64(field(124..<136).trimmingCharacters(in: " "), radix: 8) else { return nil }
        return (field(0..<100), size, block[156])
    }
}

private extension String {
    func trimmingCharacters(in set: Character) -> String {
        String(drop { $0 == set }.reversed().drop { $0 == set }.reversed())
    }
}
