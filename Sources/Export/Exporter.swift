import ChatBackup
import CSVText
import DurableFile
import Foundation
import LINE
import Store
import TalkVaultDomain

/// Where and how exports are written.
public struct ExportSettings: Sendable {
    public var exportDir: String
    public var timeZone: TimeZone
    public var format: CSVFormat
    public var toolVersion: String
    public var profile: ExportProfile
    /// The `line` profile's アカウント名.
    public var accountName: String
    /// The channel exported: each channel has its own files.
    public var channel = ChannelName.implicit

    public init(exportDir: String, timeZone: TimeZone, format: CSVFormat = CSVFormat(), toolVersion: String,
                profile: ExportProfile = .full, accountName: String = "") {
        self.exportDir = exportDir
        self.timeZone = timeZone
        self.format = format
        // LINE's own backup writes digits as they are; the line profile stays byte-compatible.
        if profile == .line { self.format.longNumbersAsText = false }
        self.toolVersion = toolVersion
        self.profile = profile
        self.accountName = accountName
    }
}

/// What an export did.
public struct ExportResult: Sendable, Equatable {
    public var csvPath: String
    public var manifestPath: String
    public var rows: Int
    public var lateRows: Int
    /// The week was delivered before and its file is intact: nothing was written.
    public var alreadyDelivered: Bool
}

public enum ExportError: Error, Equatable, CustomStringConvertible {
    /// A delivered file is missing or no longer has the SHA-256 recorded when it was delivered.
    case deliveredFileChanged(path: String)
    /// `--force` without a reason.
    case forceNeedsReason
    /// The week was delivered, and a purge removed its files under a keep rule.
    case purged(week: String, rule: String)
    case io(String)

    public var description: String {
        switch self {
        case .deliveredFileChanged(let path): return "\(path) was delivered but is missing or changed since; rewrite it only with --force --reason"
        case .forceNeedsReason: return "--force needs --reason, which the manifest records"
        case .purged(let week, let rule):
            return "\(week) was delivered, and its files were removed under \(rule) (talkvault purge); it is not made again"
        case .io(let detail): return detail
        }
    }
}

/// The weekly compliance export: one CSV per ISO week of the messages read, the late reads
/// of delivered weeks carried in, and a manifest beside it. Written to a temporary file, fsynced
/// and renamed, and streamed: a week of a million rows does not sit in memory.
public struct Exporter {
    /// The `full` profile's columns. New ones go at the end, so scripts reading columns by
    /// position keep working.
    public static let columns = ["sent_at", "sent_date", "sent_time", "chat_type", "chat_id", "chat_name", "sender_type", "sender_id",
                                 "sender_name", "message_id", "kind", "text", "content_file", "content_sha256", "status", "read_at", "late",
                                 "original_file_name", "direction", "source"]
    let store: any ExportStore
    let settings: ExportSettings

    public init(store: any ExportStore, settings: ExportSettings) {
        self.store = store
        self.settings = settings
    }

    public func run(week: ISOWeek, force reason: String?, forced: Bool, now: Instant) throws -> ExportResult {
        if forced && (reason ?? "").trimmingCharacters(in: .whitespaces).isEmpty { throw ExportError.forceNeedsReason }
        let name = Self.fileStem(week: week, channel: settings.channel, profile: settings.profile)
        let key = ExportKey.profile(settings.profile.rawValue, channel: settings.channel)
        let csvPath = settings.exportDir + "/" + name + ".csv", manifestPath = settings.exportDir + "/" + name + ".manifest.json"
        let delivered = try store.deliveredWeeks(profile: key)
        var previousSHA: String?
        if let earlier = delivered[week.description] {
            if let rule = earlier.purgedUnder { throw ExportError.purged(week: week.description, rule: rule) }
            // The delivered file is looked for in this data dir's export dir, never at a path
            // recorded elsewhere (an older ledger recorded absolute paths; a copy would read the original's).
            let actual = try? FileDigest.sha256(ofFile: csvPath).sha256
            guard forced else {
                guard actual == earlier.sha256 else { throw ExportError.deliveredFileChanged(path: csvPath) }
                return ExportResult(csvPath: csvPath, manifestPath: manifestPath, rows: earlier.rows, lateRows: 0, alreadyDelivered: true)
            }
            previousSHA = earlier.sha256
        }
        try Durable.makeDirectories(settings.exportDir)
        let (start, end) = week.bounds(in: settings.timeZone)
        let temporary = settings.exportDir + "/.\(name).csv.tmp-\(ProcessInfo.processInfo.processIdentifier)"
        unlink(temporary)
        let out = try OutputFile(path: temporary)
        var weekRows = 0
        var lateIds: [String] = []
        do {
            try out.write([0xEF, 0xBB, 0xBF])
            for line in header(readBy: now, weekStart: start) { try out.write(Array(line.utf8)) }
            try store.weekRows(start: start, end: end, readBy: now, channel: settings.channel, profile: settings.profile.rawValue,
                               week: week.description) { row in
                try out.write(Array(settings.format.line(record(row, late: false)).utf8))
                weekRows += 1
            }
            // Late reads: messages of weeks already delivered, read after their week went out.
            let deliveredWeeks = Set(delivered.keys)
            try store.lateCandidates(before: start, readBy: now, channel: settings.channel, profile: settings.profile.rawValue,
                                     week: week.description) { row in
                guard deliveredWeeks.contains(ISOWeek.containing(row.sentAt, in: settings.timeZone).description) else { return }
                try out.write(Array(settings.format.line(record(row, late: true)).utf8))
                lateIds.append(row.id)
            }
            try out.syncAndClose()
        } catch {
            unlink(temporary)
            throw error
        }
        let sha = FileDigest.hex(out.hasher.finalize())
        if previousSHA != nil, FileManager.default.fileExists(atPath: csvPath) {
            // A forced rewrite keeps the superseded file beside the new one.
            _ = rename(csvPath, csvPath + ".superseded-\(previousSHA!.prefix(12))")
        }
        try Durable.publish(temporary: temporary, final: csvPath)
        let manifest = ExportManifest(
            week: week.description, channel: settings.channel, profile: settings.profile.rawValue, timezone: settings.timeZone.identifier,
            start: start.rfc3339(in: settings.timeZone), end: end.rfc3339(in: settings.timeZone), readBy: now.rfc3339(in: settings.timeZone),
            rows: weekRows + lateIds.count, weekRows: weekRows, lateRows: lateIds, unread: try unread(start: start, end: end, readBy: now),
            lost: try store.lostItems(start: start, end: end, channel: settings.channel).map { .init(messageId: $0.id, kind: $0.kind, reason: $0.reason) },
            csv: .init(file: (csvPath as NSString).lastPathComponent, sha256: sha, bytes: out.offset),
            toolVersion: settings.toolVersion, forced: forced ? .init(reason: reason!, previousSHA256: previousSHA) : nil)
        try manifest.write(to: manifestPath)
        try store.recordExport(week: week.description, channel: settings.channel, profile: settings.profile.rawValue, start: start, end: end, readBy: now, lateIds: lateIds,
                                delivered: DeliveredExport(path: name + ".csv", sha256: sha, rows: weekRows + lateIds.count), at: now)
        return ExportResult(csvPath: csvPath, manifestPath: manifestPath, rows: weekRows + lateIds.count, lateRows: lateIds.count,
                            alreadyDelivered: false)
    }

    private func unread(start: Instant, end: Instant, readBy: Instant) throws -> ExportManifest.Unread {
        let counts = try store.unreadCounts(start: start, end: end, readBy: readBy, channel: settings.channel)
        return .init(total: counts.values.reduce(0, +), byChat: counts)
    }

    /// `talkvault-2026-W47`, `talkvault-shop-a-2026-W47`, and `-line` after either for that
    /// profile: the implicit channel keeps the names from before channels.
    public static func fileStem(week: ISOWeek, channel: String, profile: ExportProfile) -> String {
        "talkvault-" + (channel == ChannelName.implicit ? "" : channel + "-") + "\(week)" + (profile == .full ? "" : "-\(profile.rawValue)")
    }

    /// The lines before the first record: a header row, after the OA Manager preamble for `line`.
    func header(readBy: Instant, weekStart: Instant) -> [String] {
        switch settings.profile {
        case .full: return [settings.format.line(Self.columns)]
        case .line:
            // LINE writes the offset with a leading quote, as a spreadsheet guard of its own.
            let offset = String(weekStart.rfc3339(in: settings.timeZone).suffix(6))
            return [settings.format.line(["アカウント名", settings.accountName]), settings.format.line(["タイムゾーン", "'" + offset]),
                    settings.format.line(["ダウンロード日時", Self.oaDateTime(readBy, zone: settings.timeZone, seconds: false)]),
                    settings.format.line(OAManagerCSV.header)]
        }
    }

    func record(_ row: ExportRow, late: Bool) -> [String] {
        switch settings.profile {
        case .full: return fields(row, late: late)
        case .line:
            let stamp = Self.oaDateTime(row.sentAt, zone: settings.timeZone, seconds: true)
            return [Self.senderType(row).rawValue, row.senderName ?? row.senderId ?? "", String(stamp.prefix(10)), String(stamp.suffix(8)),
                    Self.oaContent(row)]
        }
    }

    /// `2025/09/18 14:24:55`, or without seconds, in `zone`.
    static func oaDateTime(_ instant: Instant, zone: TimeZone, seconds: Bool) -> String {
        let local = instant.rfc3339(in: zone)
        let date = local.prefix(10).replacingOccurrences(of: "-", with: "/")
        return date + " " + local.dropFirst(11).prefix(seconds ? 8 : 5)
    }

    /// The 内容 column: the text, or where LINE writes a media placeholder, the archived file.
    static func oaContent(_ row: ExportRow) -> String {
        if row.state == .unsent { return BackupPlaceholder.unsent.text }
        let archived = row.contentSegment.flatMap { segment in row.contentEntry.map { "\(segment):\($0)" } }
        switch row.kind {
        case .text: return row.text ?? ""
        case .sticker: return BackupPlaceholder.sticker.text
        case .image: return media(.image, archived)
        case .video: return media(.video, archived)
        case .audio: return media(.audio, archived)
        case .file: return media(.file, archived)
        case .location: return text(row)
        case .unknown: return ""
        }
    }

    /// LINE's placeholder, or where the archive holds the content (`[写真] <segment>:<entry>`).
    static func media(_ placeholder: BackupPlaceholder, _ archived: String?) -> String {
        archived.map { placeholder.archivedPrefix! + $0 } ?? placeholder.text
    }

    /// The `full` profile's columns for one message.
    func fields(_ row: ExportRow, late: Bool) -> [String] {
        let zone = settings.timeZone
        let local = row.sentAt.rfc3339(in: zone)
        let date = String(local.prefix(10)), time = String(local.dropFirst(11).prefix(8))
        let status: String
        switch row.state {
        case .unsent: status = "unsent"
        case .lost: status = "lost:\(row.reason ?? "unknown")"
        default: status = row.edited ? "edited" : row.state.rawValue
        }
        let contentFile = row.contentSegment.flatMap { segment in row.contentEntry.map { "\(segment):\($0)" } } ?? ""
        // A file's name as sent may hold NUL or a bidi override ("invoice\u{202E}fdp.exe" shows as
        // "invoiceexe.pdf"): the text column has the archive's safe name, the last column the
        // name as sent with such characters made visible.
        let isFile = row.kind == .file
        let text = isFile ? (row.fileName.flatMap(SafeName.make) ?? "") : Self.text(row)
        let originalFileName = isFile ? (row.fileName.map(CSVFormat.visible) ?? "") : ""
        return [local, date, time, row.chatType, row.chatId, row.chatName ?? "", Self.senderType(row).rawValue, row.senderId ?? "",
                row.senderName ?? "", row.id, row.kind.rawValue, text, contentFile, row.contentSHA256 ?? "", status,
                row.readAt?.rfc3339(in: zone) ?? "", late ? "true" : "false", originalFileName, row.direction.rawValue, row.source.rawValue]
    }

    /// `User` for the customer's side, `Account` for the account's replies: as LINE's backup has it.
    static func senderType(_ row: ExportRow) -> BackupSender { row.direction == .outgoing ? .account : .user }


    /// The `text` column: see `MessageText.summary`.
    static func text(_ row: ExportRow) -> String {
        MessageText.summary(kind: row.kind, text: row.text, fileName: row.fileName, eventJSON: row.eventJSON)
    }
}
