import Foundation

/// RFC 4180 fields that open safely in Excel and LibreOffice.
public struct CSVFormat: Sendable {
    /// Prefix cells that a spreadsheet would run as a formula with `'`.
    public var guardFormulas: Bool
    /// Write digit strings longer than 15 digits (LINE's 18-digit message ids) as `="…"`:
    /// spreadsheets keep 15 significant digits of a number, so a bare id would come back as
    /// 5.68790102345679E+17 and be destroyed on save. The formula is generated here, from
    /// digits only, so it carries nothing a sender wrote that could run.
    public var longNumbersAsText: Bool

    public init(guardFormulas: Bool = true, longNumbersAsText: Bool = true) {
        self.guardFormulas = guardFormulas
        self.longNumbersAsText = longNumbersAsText
    }

    /// `=`, `+`, `-`, `@`, tab, CR. Bytes, not Characters: this runs for every cell.
    static let formulaStarts: Set<UInt8> = [0x3D, 0x2B, 0x2D, 0x40, 0x09, 0x0D]

    /// One field: guarded, then quoted when it holds a comma, a quote, CR or LF.
    public func field(_ value: String) -> String {
        if longNumbersAsText, value.utf8.count > 15, value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            return "\"=\"\"" + value + "\"\"\""
        }
        var text = value
        if guardFormulas, let first = text.utf8.first, Self.formulaStarts.contains(first) { text = "'" + text }
        guard text.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// One record, CRLF-terminated.
    public func line(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\r\n"
    }

    /// `name` with every control character, format character (bidi overrides and isolates
    /// included) and line or paragraph separator written as `<U+XXXX>`: what `SafeName`
    /// replaces, shown rather than hidden or obeyed (a file's name in a cell).
    public static func visible(_ name: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in name.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator:
                let hex = String(scalar.value, radix: 16, uppercase: true)
                out.append(contentsOf: "<U+\(String(repeating: "0", count: max(0, 4 - hex.count)) + hex)>".unicodeScalars)
            default:
                out.append(scalar)
            }
        }
        return String(out)
    }
}
