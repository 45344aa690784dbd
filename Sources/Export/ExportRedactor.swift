import DurableFile
import Foundation
import Store
import TalkVaultDomain

/// What taking rows out of delivered exports did.
public struct ExportRedaction: Sendable, Equatable {
    /// CSV files rewritten (superseded copies of a forced export included).
    public var files: [String] = []
    public var rows = 0
    /// Messages whose row was not found as it would be written now (changed since the export);
    /// their files are named so someone can look.
    public var notFound: [String] = []

    public init() {}
}

/// Takes an erased person's rows, and unsent messages' rows, out of the weekly exports already
/// delivered: the CSV is streamed into a new file without them (through a temporary name,
/// fsynced, then put in place), its manifest gets the new hash and count and a `redacted`
/// note, and the ledger records the new hash, so `export` still knows the week as delivered.
/// Rows are found by message id in the `full` profile, and in the `line` profile (which has no
/// ids) by being byte for byte the row the exporter writes for the message.
public struct ExportRedactor {
    let store: any ExportStore & ExportRedactionStore
    let exportDir: String
    let timeZone: TimeZone
    let toolVersion: String

    public init(store: any ExportStore & ExportRedactionStore, exportDir: String, timeZone: TimeZone, toolVersion: String) {
        self.store = store
        self.exportDir = exportDir
        self.timeZone = timeZone
        self.toolVersion = toolVersion
    }

    /// Removes the rows of messages `rules` names (message id to rule) from every delivered export.
    public func redact(_ rules: [String: String], now: Instant) throws -> ExportRedaction {
        var result = ExportRedaction()
        let copies = try store.exportedCopies(of: rules.keys.sorted())
        for (key, group) in Dictionary(grouping: copies, by: { "\($0.key)\u{0}\($0.week)" }).sorted(by: { $0.key < $1.key }) {
            guard let first = group.first else { continue }
            let profileName = String(key.prefix { $0 != "@" && $0 != "\u{0}" })
            let profile = ExportProfile(rawValue: profileName) ?? .full
            var settings = ExportSettings(exportDir: exportDir, timeZone: timeZone, toolVersion: toolVersion, profile: profile)
            settings.channel = first.row.channel
            let exporter = Exporter(store: store, settings: settings)
            let ids = Set(group.map(\.row.id))
            let lines = Set(group.flatMap { [exporter.record($0.row, late: false), exporter.record($0.row, late: true)].map { settings.format.line($0) } })
            let idColumn = Exporter.columns.firstIndex(of: "message_id")!
            let wanted = Set(ids.map { settings.format.field($0) })
            let match: ([UInt8]) -> Bool = { record in
                switch profile {
                case .full: return CSVRecords.fields(record).dropFirst(idColumn).first.map(wanted.contains) ?? false
                case .line: return lines.contains(String(decoding: record, as: UTF8.self))
                }
            }
            let csv = exportDir + "/" + (first.path as NSString).lastPathComponent
            var removedHere = 0
            var newSHA = ""
            var newBytes: UInt64 = 0
            var keptRecords = 0
            for file in [csv] + Self.superseded(of: csv) where FileManager.default.fileExists(atPath: file) {
                let (removed, kept, sha, bytes) = try rewrite(file, dropping: match)
                if file == csv { removedHere = removed; keptRecords = kept; newSHA = sha; newBytes = bytes }
                if removed > 0 { result.files.append(file) }
            }
            result.rows += removedHere
            let manifestPath = String(csv.dropLast(".csv".count)) + ".manifest.json"
            guard var manifest = try? JSONDecoder().decode(ExportManifest.self, from: Data(contentsOf: URL(fileURLWithPath: manifestPath))) else {
                if removedHere > 0 { try store.recordRedaction(week: first.week, key: first.key, sha256: newSHA, rows: 0) }
                continue
            }
            // The manifest and the ledger follow the file, also when a run cut short between
            // them left the rows out already: those are counted once, by the redacted list.
            let listed = Set((manifest.redacted ?? []).map(\.messageId))
            let fresh = group.map(\.row.id).filter { !listed.contains($0) }
            if removedHere < fresh.count { result.notFound += fresh.sorted().suffix(fresh.count - removedHere) }
            guard manifest.csv.sha256 != newSHA else { continue }
            // The file is the truth: its records less the profile's header lines.
            manifest.rows = max(0, keptRecords - (profile == .full ? 1 : 4))
            manifest.lateRows.removeAll { ids.contains($0) }
            manifest.csv = .init(file: manifest.csv.file, sha256: newSHA, bytes: newBytes)
            manifest.redacted = (manifest.redacted ?? []) + fresh.map {
                .init(messageId: $0, rule: rules[$0] ?? "", at: now.rfc3339(in: timeZone))
            }
            try manifest.write(to: manifestPath)
            try store.recordRedaction(week: first.week, key: first.key, sha256: newSHA, rows: manifest.rows)
        }
        return result
    }

    /// Streams `path` into a new file without the records `drop` matches; returns how many
    /// went and stayed, and the new file's SHA-256 and size. A file losing nothing is left as it is.
    func rewrite(_ path: String, dropping drop: ([UInt8]) -> Bool) throws -> (removed: Int, kept: Int, sha256: String, bytes: UInt64) {
        guard let input = FileHandle(forReadingAtPath: path) else { throw ExportError.io("cannot read \(path)") }
        defer { try? input.close() }
        let temporary = (path as NSString).deletingLastPathComponent + "/.\((path as NSString).lastPathComponent).redact-\(ProcessInfo.processInfo.processIdentifier)"
        unlink(temporary)
        let out = try OutputFile(path: temporary)
        var removed = 0, kept = 0
        do {
            var records = CSVRecords()
            func take(_ record: [UInt8]) throws {
                if drop(record) { removed += 1 } else { kept += 1; try out.write(record) }
            }
            while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty {
                for record in records.feed(Array(chunk)) { try take(record) }
            }
            if let rest = records.finish() { try take(rest) }
            try out.syncAndClose()
        } catch {
            unlink(temporary)
            throw error
        }
        guard removed > 0 else {
            unlink(temporary)
            let (sha, bytes) = try FileDigest.sha256(ofFile: path)
            return (0, kept, sha, bytes)
        }
        let sha = FileDigest.hex(out.hasher.finalize())
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw ExportError.io("cannot replace \(path)")
        }
        try Durable.syncDirectory((path as NSString).deletingLastPathComponent)
        return (removed, kept, sha, out.offset)
    }

    /// The copies a forced export kept beside `csv` (`….csv.superseded-<hash>`).
    public static func superseded(of csv: String) -> [String] {
        let directory = (csv as NSString).deletingLastPathComponent, name = (csv as NSString).lastPathComponent
        return ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasPrefix(name + ".superseded-") }.sorted().map { directory + "/" + $0 }
    }
}

/// Raw CSV records, as bytes, split at line ends outside quotes: a record is kept byte for byte.
struct CSVRecords {
    private var pending: [UInt8] = []
    private var quoted = false

    /// The records `bytes` completes, each with its line end.
    mutating func feed(_ bytes: [UInt8]) -> [[UInt8]] {
        var records: [[UInt8]] = []
        for byte in bytes {
            pending.append(byte)
            if byte == 0x22 { quoted.toggle() }
            if byte == 0x0A && !quoted {
                records.append(pending)
                pending.removeAll(keepingCapacity: true)
            }
        }
        return records
    }

    /// What is left after the last line end.
    mutating func finish() -> [UInt8]? {
        defer { pending = [] }
        return pending.isEmpty ? nil : pending
    }

    /// A record's fields as written (quotes kept), split at commas outside quotes.
    static func fields(_ record: [UInt8]) -> [String] {
        var fields: [String] = [], current: [UInt8] = [], quoted = false
        for byte in record {
            if byte == 0x22 { quoted.toggle() }
            if byte == 0x2C && !quoted {
                fields.append(String(decoding: current, as: UTF8.self))
                current = []
            } else if !(byte == 0x0D || byte == 0x0A) || quoted {
                current.append(byte)
            }
        }
        fields.append(String(decoding: current, as: UTF8.self))
        return fields
    }
}
