import CSV
import Foundation
import TalkVaultDomain

/// Reads one chat backup CSV as LINE's Official Account Manager writes it, a row at a time:
/// the three preamble lines, the header, then the rows, with times in the file's own offset.
/// yaslab/CSV.swift does the RFC 4180 part (quoted fields over several lines, a BOM, CRLF or
/// LF); this adds the layout, line numbers for errors, and what CSV.swift lets pass: a quote
/// left open to the end of the file.
public final class ChatBackupReader {
    public static let header = ["送信者タイプ", "送信者名", "送信日", "送信時刻", "内容"]

    public let preamble: BackupPreamble
    /// The name errors give: the path, or the zip entry's.
    public let file: String
    private let path: String
    private let csv: CSVReader
    /// The line the next row starts on.
    private var line: Int
    private var lastRow: [String]?
    private var lastRowLine = 0

    /// Opens `path` and reads the preamble and header. `name` stands for the file in errors.
    public init(path: String, name: String? = nil) throws(ChatBackupError) {
        self.path = path
        let file = name ?? path
        self.file = file
        guard let stream = InputStream(fileAtPath: path), let csv = try? CSVReader(stream: stream) else {
            throw ChatBackupError(file: file, line: 0, problem: "cannot be opened")
        }
        self.csv = csv
        var line = 1
        func record(_ expected: String) throws(ChatBackupError) -> (line: Int, value: String) {
            let at = line
            guard let row = csv.next() else {
                if let error = Self.failure(csv.error) { throw ChatBackupError(file: file, line: at, problem: Self.describe(error)) }
                throw ChatBackupError(file: file, line: at, problem: "not a LINE chat backup: the file ends before its '\(expected),…' line")
            }
            line += 1 + Self.lineBreaks(in: row)
            guard row.count == 2, row[0] == expected else {
                throw ChatBackupError(file: file, line: at, problem: "not a LINE chat backup: expected the line '\(expected),…' here")
            }
            return (at, row[1])
        }
        let account = try record("アカウント名")
        let zone = try record("タイムゾーン")
        guard let offset = Self.offsetSeconds(zone.value) else {
            throw ChatBackupError(file: file, line: zone.line, problem: "the time zone must be an offset such as '+09:00'")
        }
        let downloaded = try record("ダウンロード日時")
        let parts = downloaded.value.split(separator: " ")
        guard parts.count == 2, let at = Self.instant(date: parts[0], time: parts[1], offset: offset) else {
            throw ChatBackupError(file: file, line: downloaded.line, problem: "the download time must look like 2025/09/18 14:30")
        }
        let headerLine = line
        guard let header = csv.next(), header.map({ $0.trimmingCharacters(in: .whitespaces) }) == Self.header else {
            throw ChatBackupError(file: file, line: headerLine, problem: "not a LINE chat backup: expected the header " + Self.header.joined(separator: ","))
        }
        if let error = Self.failure(csv.error) { throw ChatBackupError(file: file, line: headerLine, problem: Self.describe(error)) }
        preamble = BackupPreamble(accountName: account.value, utcOffsetSeconds: offset, downloadedAt: at)
        self.line = line + 1 + Self.lineBreaks(in: header)
    }

    /// The next row, or nil at the end of the file.
    public func next() throws(ChatBackupError) -> BackupRow? {
        while let fields = csv.next() {
            let at = line
            line += 1 + Self.lineBreaks(in: fields)
            if let error = Self.failure(csv.error) { throw ChatBackupError(file: file, line: at, problem: Self.describe(error)) }
            if fields == [""] { continue }  // a blank line
            lastRow = fields
            lastRowLine = at
            guard fields.count == 5 else {
                throw ChatBackupError(file: file, line: at, problem: "expected 5 fields, found \(fields.count) (a quote left open, or a stray comma?)")
            }
            guard let sender = BackupSender(rawValue: fields[0]) else {
                throw ChatBackupError(file: file, line: at, problem: "the sender type must be User or Account")
            }
            guard let sentAt = Self.instant(date: Substring(fields[2]), time: Substring(fields[3]), offset: preamble.utcOffsetSeconds) else {
                throw ChatBackupError(file: file, line: at, problem: "the date and time must look like 2025/09/18 and 14:24:55")
            }
            if let swallowed = Self.swallowedRow(in: fields[4]) {
                throw ChatBackupError(file: file, line: at, problem: "a quoted field runs on over what looks like the row of line \(at + swallowed) "
                                      + "(a quote left open?)")
            }
            let content = Self.unescapingCR(fields[4])
            return BackupRow(line: at, sender: sender, senderName: Self.unescapingCR(fields[1]),
                             sentAt: sentAt, content: content, placeholder: BackupPlaceholder(content: content))
        }
        if let error = Self.failure(csv.error) { throw ChatBackupError(file: file, line: line, problem: Self.describe(error)) }
        try checkClosingQuote()
        return nil
    }

    /// CSV.swift ends a quoted field at the end of the file as if it were closed. A last field
    /// that had to be quoted must therefore be followed by the file's last `"`.
    private func checkClosingQuote() throws(ChatBackupError) {
        guard let field = lastRow?.last, field.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return }
        guard let handle = FileHandle(forReadingAtPath: path) else { return }
        defer { try? handle.close() }
        // The last byte that is not a line break (blank lines may follow the last row).
        let size = (try? handle.seekToEnd()) ?? 0
        var end = size, lastByte: UInt8?
        while end > 0, lastByte == nil {
            let start = end >= 4096 ? end - 4096 : 0
            try? handle.seek(toOffset: start)
            let chunk = Array((try? handle.read(upToCount: Int(end - start))) ?? Data())
            lastByte = chunk.last { $0 != 0x0A && $0 != 0x0D }
            end = start
            if chunk.isEmpty { break }
        }
        if lastByte != UInt8(ascii: "\"") {
            throw ChatBackupError(file: file, line: lastRowLine, problem: "a quoted field is not closed before the end of the file")
        }
    }

    /// When a body holds a line that reads like a whole row of its own (`User,name,2025/09/18,
    /// 14:24:55,…`), a quote was most likely left open and swallowed the rows after it: CSV.swift
    /// cannot tell. Returns how many lines into the body that row starts.
    static func swallowedRow(in content: String) -> Int? {
        guard content.utf8.contains(0x0A) || content.utf8.contains(0x0D) else { return nil }
        var lines = 0
        for piece in content.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }).dropFirst() {
            lines += 1
            guard piece.hasPrefix("User,") || piece.hasPrefix("Account,") else { continue }
            let fields = piece.split(separator: ",", maxSplits: 4, omittingEmptySubsequences: false)
            if fields.count == 5, instant(date: fields[2], time: fields[3], offset: 0) != nil { return lines }
        }
        return nil
    }

    /// `'+09:00`, `+09:00` or `-05:30`, in seconds.
    static func offsetSeconds(_ text: String) -> Int64? {
        var scalars = Substring(text)
        if scalars.first == "'" { scalars = scalars.dropFirst() }
        guard let sign = scalars.first, sign == "+" || sign == "-" else { return nil }
        let parts = scalars.dropFirst().split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ $0.count == 2 }), let hours = Int64(parts[0]), let minutes = Int64(parts[1]),
              hours <= 14, minutes < 60 else { return nil }
        return (sign == "-" ? -1 : 1) * (hours * 3_600 + minutes * 60)
    }

    /// `2025/09/18` and `14:24:55` (or `14:30`) at `offset`. Read byte by byte: it runs per row.
    static func instant(date: Substring, time: Substring, offset: Int64) -> Instant? {
        guard let day = numbers(date.utf8, separator: UInt8(ascii: "/")), day.count == 3,
              let clock = numbers(time.utf8, separator: UInt8(ascii: ":")), (2...3).contains(clock.count) else { return nil }
        return Instant.local(year: day[0], month: day[1], day: day[2], hour: clock[0], minute: clock[1],
                             second: clock.count == 3 ? clock[2] : 0, offsetSeconds: offset)
    }

    /// Up to three numbers of 1 to 4 digits between `separator`s, or nil.
    private static func numbers(_ bytes: Substring.UTF8View, separator: UInt8) -> [Int64]? {
        var values: [Int64] = [], value: Int64 = 0, digits = 0
        for byte in bytes {
            if byte == separator {
                guard digits > 0, values.count < 2 else { return nil }
                values.append(value)
                value = 0
                digits = 0
            } else if (0x30...0x39).contains(byte), digits < 4 {
                value = value * 10 + Int64(byte - 0x30)
                digits += 1
            } else {
                return nil
            }
        }
        guard digits > 0 else { return nil }
        values.append(value)
        return values
    }

    /// `_x000D_`, how Excel writes a carriage return, back to one.
    static func unescapingCR(_ text: String) -> String {
        guard text.utf8.contains(UInt8(ascii: "_")), text.contains("_x000D_") else { return text }
        return text.replacingOccurrences(of: "_x000D_", with: "\r")
    }

    /// Line breaks inside a row's fields (CRLF counts once), so errors name the right line.
    static func lineBreaks(in fields: [String]) -> Int {
        var count = 0
        for field in fields {
            var previousCR = false
            for byte in field.utf8 {
                if byte == 0x0A { if !previousCR { count += 1 } } else if byte == 0x0D { count += 1 }
                previousCR = byte == 0x0D
            }
        }
        return count
    }

    /// CSV.swift's error, except `cannotReadFile`: on Linux, Foundation's `InputStream` still says
    /// it has bytes at the end of a file, and the read of none that follows sets that error.
    static func failure(_ error: Error?) -> Error? {
        if case CSVError.cannotReadFile? = error { return nil }
        return error
    }

    static func describe(_ error: Error) -> String {
        if case CSVError.unicodeDecoding = error { return "the file is not UTF-8" }
        return "cannot be read (\(error))"
    }
}
