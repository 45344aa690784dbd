/// Terminal column widths: East Asian wide and fullwidth characters and emoji take two
/// columns, so a table of Japanese text still lines up.
enum DisplayWidth {
    static func of(_ text: String) -> Int { text.unicodeScalars.reduce(0) { $0 + width($1) } }

    static func width(_ scalar: Unicode.Scalar) -> Int {
        let v = scalar.value
        if v == 0x200D || (0xFE00...0xFE0F).contains(v) || (0x0300...0x036F).contains(v) { return 0 }
        if (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v) || (0xFF00...0xFF60).contains(v)
            || (0xFFE0...0xFFE6).contains(v) || emojiPresentation.contains(v) || (0x1F300...0x1FAFF).contains(v) || (0x20000...0x3FFFD).contains(v) {
            return 2
        }
        return 1
    }

    /// Symbols below U+2E80 that terminals draw two columns wide (emoji presentation).
    static let emojiPresentation: Set<UInt32> = Set([0x231A, 0x231B, 0x23E9, 0x23EA, 0x23EB, 0x23EC, 0x23F0, 0x23F3, 0x25FD, 0x25FE,
        0x2614, 0x2615, 0x267F, 0x2693, 0x26A1, 0x26AA, 0x26AB, 0x26BD, 0x26BE, 0x26C4, 0x26C5, 0x26CE, 0x26D4, 0x26EA, 0x26F2,
        0x26F3, 0x26F5, 0x26FA, 0x26FD, 0x2705, 0x270A, 0x270B, 0x2728, 0x274C, 0x274E, 0x2753, 0x2754, 0x2755, 0x2757, 0x2795,
        0x2796, 0x2797, 0x27B0, 0x27BF, 0x2B1B, 0x2B1C, 0x2B50, 0x2B55] + Array(0x2648...0x2653))

    /// `text` on one line, cut to `columns` with an ellipsis, then padded to exactly `columns`.
    static func fit(_ text: String, _ columns: Int, pad: Bool = true) -> String {
        let flat = String(text.map { $0.isNewline || $0 == "\t" ? " " : $0 })
        var out = flat, used = of(flat)
        if used > columns {
            out = ""
            used = 0
            for character in flat {
                let w = character.unicodeScalars.reduce(0) { $0 + width($1) }
                if used + w > columns - 1 { break }
                out.append(character)
                used += w
            }
            out += "…"
            used += 1
        }
        return pad ? out + String(repeating: " ", count: max(0, columns - used)) : out
    }
}
