/// The export profiles.
public enum ExportProfile: String, Sendable, CaseIterable {
    /// Every column TalkVault knows.
    case full
    /// LINE Official Account Manager's chat backup layout, so existing scripts keep working.
    case line
}

/// LINE Official Account Manager's chat backup CSV: three preamble lines (アカウント名,
/// タイムゾーン, ダウンロード日時), the header `送信者タイプ,送信者名,送信日,送信時刻,内容`, then
/// rows. RFC 4180, with quoted fields that may span lines. The parser reads LINE's own files
/// and TalkVault's `line` export alike.
public enum OAManagerCSV {
    public static let header = ["送信者タイプ", "送信者名", "送信日", "送信時刻", "内容"]

    /// One chat line.
    public struct Row: Sendable, Equatable {
        public var senderType: String
        public var senderName: String
        public var date: String
        public var time: String
        public var content: String
    }

    /// What a file holds.
    public struct File: Sendable, Equatable {
        public var preamble: [String: String]
        public var rows: [Row]
    }

    public enum ParseError: Error, Equatable, CustomStringConvertible {
        /// Record `record` (1-based, counting the preamble) is not what the layout expects.
        case badRecord(record: Int, problem: String)
        public var description: String {
            switch self {
            case .badRecord(let record, let problem): return "record \(record): \(problem)"
            }
        }
    }

    /// Parses the whole text: a BOM is skipped, `_x000D_` becomes CR, CRLF and LF both end records.
    public static func parse(_ text: String) throws(ParseError) -> File {
        var body = Substring(text)
        if body.first == "\u{FEFF}" { body = body.dropFirst() }
        let records = try Self.records(body)
        guard records.count >= 4 else { throw .badRecord(record: records.count + 1, problem: "the preamble and header need four lines") }
        var preamble: [String: String] = [:]
        for (index, record) in records.prefix(3).enumerated() {
            guard record.count == 2 else { throw .badRecord(record: index + 1, problem: "a preamble line has two fields") }
            preamble[record[0]] = record[1]
        }
        guard records[3] == header else { throw .badRecord(record: 4, problem: "expected the header \(header.joined(separator: ","))") }
        var rows: [Row] = []
        for (index, record) in records.dropFirst(4).enumerated() {
            guard record.count == 5 else { throw .badRecord(record: index + 5, problem: "expected 5 fields, found \(record.count)") }
            let unescaped = record.map { $0.replacingOccurrences(of: "_x000D_", with: "\r") }
            rows.append(Row(senderType: unescaped[0], senderName: unescaped[1], date: unescaped[2], time: unescaped[3], content: unescaped[4]))
        }
        return File(preamble: preamble, rows: rows)
    }

    /// RFC 4180 records.
    static func records(_ text: Substring) throws(ParseError) -> [[String]] {
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var quoted = false, afterQuote = false
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        func next() -> Unicode.Scalar? {
            if let p = pending { pending = nil; return p }
            return iterator.next()
        }
        while let c = next() {
            if quoted {
                if c == "\"" {
                    if let n = next() {
                        if n == "\"" { field.unicodeScalars.append("\""); continue }
                        pending = n
                    }
                    quoted = false
                    afterQuote = true
                } else {
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"" where field.isEmpty && !afterQuote: quoted = true
            case ",":
                record.append(field); field = ""; afterQuote = false
            case "\r":
                if let n = next(), n != "\n" { pending = n }
                fallthrough
            case "\n":
                record.append(field); field = ""; afterQuote = false
                records.append(record); record = []
            default:
                guard !afterQuote else { throw .badRecord(record: records.count + 1, problem: "text after a closing quote") }
                field.unicodeScalars.append(c)
            }
        }
        if quoted { throw .badRecord(record: records.count + 1, problem: "a quoted field is not closed") }
        if !field.isEmpty || !record.isEmpty {
            record.append(field)
            records.append(record)
        }
        return records
    }
}
