/// RFC 4180 fields that open safely in Excel and LibreOffice.
public struct CSVFormat: Sendable {
    /// Prefix cells that a spreadsheet would run as a formula with `'`.
    public var guardFormulas: Bool

    public init(guardFormulas: Bool = true) { self.guardFormulas = guardFormulas }

    static let formulaStarts: Set<Character> = ["=", "+", "-", "@", "\t", "\r", "\r\n"]

    /// One field: guarded, then quoted when it holds a comma, a quote, CR or LF.
    public func field(_ value: String) -> String {
        var text = value
        if guardFormulas, let first = text.first, Self.formulaStarts.contains(first) { text = "'" + text }
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// One record, CRLF-terminated.
    public func line(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\r\n"
    }
}
