import BackupImport
import Foundation
@testable import Ledger
import LedgerTestSupport
import SQLiteDB
import Store
import TalkVaultDomain
import Testing
import TestSupport

/// A ledger with captured webhooks, and backups written as the OA Manager writes them.
struct ImportHarness {
    let base = try! LedgerHarness()
    var dir: TempDir { base.dir }
    var ledger: Ledger { base.ledger }
    static let now = LedgerHarness.now

    /// `2025/09/12 10:00:00` in Tokyo, in milliseconds, plus `plus` ms.
    static func ms(_ local: String, plus: Int64 = 0) -> Int64 {
        Instant(rfc3339: local.replacingOccurrences(of: "/", with: "-").replacingOccurrences(of: " ", with: "T") + "+09:00")!.milliseconds + plus
    }

    /// Captures a text message from `user` (its 1:1 chat).
    func text(_ id: String, _ text: String, at ms: Int64, user: String = "Uuser1") throws {
        try base.capture(Webhook.body([Webhook.text(id, text, eventId: "ev-\(id)", at: ms, source: Webhook.source(user: user))]))
    }

    /// Gives `user` a display name, as a profile fetch does.
    func name(_ user: String, _ name: String, at: Instant = ImportHarness.now) throws {
        try ledger.profileStore.recordProfile(ProfileRef(userId: user, failures: 0), displayName: name, now: at)
    }

    /// A backup CSV in LINE's layout: BOM, CRLF, the preamble, the header, then `rows`
    /// (`sender, name, "yyyy/MM/dd", "HH:mm:ss", content`), quoted where needed.
    static func csv(_ rows: [[String]], account: String = "サンプル店", downloaded: String = "2025/09/18 14:30") -> String {
        func field(_ text: String) -> String {
            text.contains(where: { ",\"\r\n".contains($0) }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
        }
        var out = "\u{FEFF}アカウント名,\(field(account))\r\nタイムゾーン,'+09:00\r\nダウンロード日時,\(downloaded)\r\n"
        out += "送信者タイプ,送信者名,送信日,送信時刻,内容\r\n"
        for row in rows { out += row.map(field).joined(separator: ",") + "\r\n" }
        return out
    }

    /// Writes a backup file named as the OA Manager names it.
    func backup(_ rows: [[String]], chat: String = "山田 太郎", from: String = "20250912", to: String = "20250918",
                downloaded: String = "2025/09/18 14:30", in folder: String = "in") -> String {
        try? FileManager.default.createDirectory(atPath: dir.file(folder), withIntermediateDirectories: true)
        return dir.write("\(folder)/\(from)_\(to)_\(chat).csv", Self.csv(rows, downloaded: downloaded))
    }

    func importer(dryRun: Bool = false, maps: [String: String] = [:]) -> Importer {
        Importer(store: ledger.importStore,
                 settings: ImportSettings(dataDir: dir.path, channel: ChannelName.implicit, policy: .lineDefaults, dryRun: dryRun, maps: maps),
                 clock: FixedClock(Self.now))
    }

    @discardableResult
    func run(_ paths: String..., dryRun: Bool = false, maps: [String: String] = [:]) throws -> ImportReport {
        try importer(dryRun: dryRun, maps: maps).run(paths: paths)
    }

    /// One column of the ledger's messages, in time order.
    func column(_ sql: String) throws -> [String] {
        var out: [String] = []
        try ledger.db.query(sql) { row in out.append((0..<row.count).map { row.optionalText($0) ?? row.optionalInt64($0).map(String.init) ?? "-" }.joined(separator: "|")) }
        return out
    }

    func count(_ sql: String) throws -> Int { Int(try ledger.db.scalar(sql)) }

    /// Files waiting in the import staging dir.
    var staged: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: dir.file("staging/import"))) ?? []).sorted() }
}
