/// The checks on an entry's name, so that no name can point outside a directory it is
/// extracted to, hide a character a person cannot see, or mean different files to different tools.
enum EntryName {
    /// The name as a string, and whether it names a directory (a trailing `/`).
    static func check(_ bytes: [UInt8], limit: Int) throws(Refusal) -> (name: String, isDirectory: Bool) {
        guard bytes.count <= limit else { throw Refusal(.nameTooLong(bytes: bytes.count, limit: limit)) }
        // LINE writes UTF-8 names (Japanese chat names) whether or not it sets flag bit 11,
        // so the flag is not consulted: valid UTF-8 is accepted, anything else refused.
        guard let name = String(validating: bytes, as: UTF8.self) else { throw Refusal(.nameNotUTF8) }
        if bytes.first == UInt8(ascii: "/") || bytes.first == UInt8(ascii: "\\") { throw Refusal(.absolutePath) }
        if bytes.count >= 2, bytes[1] == UInt8(ascii: ":"), isASCIILetter(bytes[0]) { throw Refusal(.absolutePath) }
        if bytes.contains(UInt8(ascii: "\\")) { throw Refusal(.backslashInName) }
        for scalar in name.unicodeScalars where scalar.properties.generalCategory == .control {
            throw Refusal(.controlCharacterInName)
        }
        let isDirectory = bytes.last == UInt8(ascii: "/")
        var components = bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        // A directory's trailing `/` leaves one empty component that is not a fault.
        if isDirectory { components.removeLast() }
        for component in components {
            if component.isEmpty { throw Refusal(.emptyPathComponent) }
            if component.elementsEqual([UInt8(ascii: ".")]) { throw Refusal(.currentDirectoryInName) }
            if component.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")]) { throw Refusal(.parentDirectoryInName) }
        }
        return (name, isDirectory)
    }

    private static func isASCIILetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20)
    }
}
