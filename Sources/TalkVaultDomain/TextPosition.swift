/// Converts byte offsets in UTF-8 text to the 1-based line and column people read.
public enum TextPosition {
    /// The line and column (counted in Unicode scalars) of the byte at `offset`.
    public static func lineAndColumn<S: Sequence>(ofUTF8Offset offset: Int, in bytes: S) -> (line: Int, column: Int)
    where S.Element == UInt8 {
        var line = 1, column = 1
        for byte in bytes.prefix(offset) {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return (line, column)
    }
}
