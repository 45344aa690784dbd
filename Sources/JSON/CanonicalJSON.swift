import Crypto

/// The canonical writer: one byte form per value, which fingerprints and archive records rely on.
extension JSONValue {
    /// Canonical JSON: object keys sorted by their UTF-8 bytes, no insignificant whitespace,
    /// only the escapes JSON requires, non-ASCII text left as UTF-8. Equal values always give
    /// equal bytes, which is what fingerprints compare.
    public func canonicalJSON() -> String {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The canonical JSON of an object, and the SHA-256 (hex) of the canonical JSON of the same
    /// object without the member `excluded`, computed in one pass.
    public static func canonicalJSON(object members: [String: JSONValue], hashingWithout excluded: String) -> (json: String, sha256: String) {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        var hasher = SHA256()
        var hashedAny = false
        out.append(UInt8(ascii: "{"))
        hasher.update(data: [UInt8(ascii: "{")])
        let keys = members.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        for (index, key) in keys.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            let start = out.count
            writeString(key, to: &out)
            out.append(UInt8(ascii: ":"))
            members[key]!.write(to: &out)
            guard key != excluded else { continue }
            if hashedAny { hasher.update(data: [UInt8(ascii: ",")]) }
            hashedAny = true
            out.withUnsafeBufferPointer { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer($0)[start...])) }
        }
        out.append(UInt8(ascii: "}"))
        hasher.update(data: [UInt8(ascii: "}")])
        return (String(decoding: out, as: UTF8.self), hex(hasher.finalize()))
    }

    fileprivate func write(to out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let v): out.append(contentsOf: (v ? "true" : "false").utf8)
        case .int(let v): out.append(contentsOf: String(v).utf8)
        case .double(let v):
            out.append(contentsOf: (v.isFinite ? String(v) : "null").utf8)
        case .string(let v): Self.writeString(v, to: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                item.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            let keys = members.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for (index, key) in keys.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                Self.writeString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                members[key]!.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    fileprivate static func writeString(_ string: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Most strings need no escape: copy them whole.
        if !string.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            out.append(contentsOf: string.utf8)
            out.append(UInt8(ascii: "\""))
            return
        }
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x00..<0x20:
                out.append(contentsOf: Array("\\u00".utf8))
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0xF)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Lower-case hex of bytes.
    private static func hex<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var out: [UInt8] = []
        for byte in bytes {
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
