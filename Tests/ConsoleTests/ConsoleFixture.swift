import Accounts
@testable import Console
import Crypto
import Export
import Foundation
import Hummingbird
import HummingbirdTesting
@testable import Ledger
import LedgerTestSupport
import Logging
import PackingTestSupport
import Store
import TalkVaultDomain
import TestSupport

/// A wall clock the test moves by hand: sessions and sign-in limits expire on it.
final class TestClock: WallClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Int64

    init(_ start: Instant) { current = start.milliseconds }

    func now() -> Instant { lock.withLock { Instant(milliseconds: current) } }

    func advance(seconds: Int64) { lock.withLock { current += seconds * 1000 } }
}

/// A data dir as a running console finds it: a ledger with two chats, a 1:1 one holding hostile
/// texts, a hostile file name, an image, an account reply, a lost image and a purged text, and
/// a group of twelve texts for paging; everything packed into a real segment; the week's
/// export delivered; three users, one of each role.
///
/// `@unchecked Sendable`: after `init` only the ledger connection is touched, by one test at a
/// time and between its requests, to check what an action changed.
final class ConsoleFixture: @unchecked Sendable {
    let pack: PackHarness
    var ledger: Ledger { pack.ledger }
    var dataDir: String { pack.base.dir.path }
    var exportDir: String { pack.base.dir.file("exports") }
    let clock = TestClock(Instant(milliseconds: LedgerHarness.now.milliseconds + 3_600_000))
    static let tokyo = TimeZone(identifier: "Asia/Tokyo")!
    static let password = "correct horse battery staple"
    /// The 1:1 chat, and the group paged through.
    static let chat = "Usato", group = "Cpaging"
    static let scriptText = "<script>alert(1)</script>"
    static let imgText = "\"><img src=x onerror=alert(1)>"
    static let hostileFileName = "\"><img src=x onerror=alert(1)>.pdf"
    static let week = ISOWeek(parsing: "2026-W46")!
    /// The group's messages, oldest first.
    static let groupIds = (0..<12).map { String(format: "p%02d", $0) }
    /// Message id → the bytes downloaded and packed for it, and their recorded type.
    let content: [String: (bytes: [UInt8], type: String)] = [
        "m-file": (Array("%PDF-1.4\n\"><img src=x onerror=alert(1)>\n%%EOF\n".utf8), "application/pdf"),
        "m-photo": ([0xFF, 0xD8, 0xFF, 0xE0] + (0..<4000).map { UInt8(truncatingIfNeeded: $0 &* 31) }, "image/jpeg"),
    ]

    init() throws {
        pack = try PackHarness()
        let sato = Webhook.source(user: Self.chat), tanaka = Webhook.source(user: "Utanaka", group: Self.group)
        let t0 = Instant(rfc3339: "2026-11-10T10:00:00+09:00")!.milliseconds
        var events: [[String: Any]] = [
            Webhook.text("m-script", Self.scriptText, eventId: "e-script", at: t0, source: sato),
            Webhook.text("m-img", Self.imgText, eventId: "e-img", at: t0 + 1_000, source: sato),
            Webhook.media("m-file", type: "file", eventId: "e-file", at: t0 + 2_000, source: sato,
                          extra: ["fileName": Self.hostileFileName, "fileSize": content["m-file"]!.bytes.count]),
            Webhook.media("m-photo", type: "image", eventId: "e-photo", at: t0 + 3_000, source: sato),
            Webhook.text("m-reply", "ご連絡ありがとうございます", eventId: "e-reply", at: t0 + 4_000, source: sato),
            Webhook.media("m-lost", type: "image", eventId: "e-lost", at: t0 + 5_000, source: sato),
            Webhook.text("m-purged", "消えるメッセージ", eventId: "e-purged", at: t0 + 6_000, source: sato),
        ]
        for (n, id) in Self.groupIds.enumerated() {
            events.append(Webhook.text(id, "group text \(id)", eventId: "e-\(id)", at: t0 + 10_000 + Int64(n) * 1_000, source: tanaka))
        }
        try pack.base.capture(Webhook.body(events))
        // The account's reply, as a chat backup brings it in.
        try ledger.db.run("UPDATE messages SET direction = 'outgoing', source = 'oa-import', sender_id = NULL, sender_name = '鈴木' WHERE id = 'm-reply'")
        for (id, item) in content {
            let file = pack.base.dir.file("staged-\(id)")
            _ = FileManager.default.createFile(atPath: file, contents: Data(item.bytes))
            try ledger.contentQueue.recordDownload(id: id, stagedFile: file, size: Int64(item.bytes.count), sha256: Self.sha256(item.bytes),
                                                   contentType: item.type, at: LedgerHarness.now)
        }
        _ = try ledger.contentQueue.markLost(id: "m-lost", reason: .expired, at: LedgerHarness.now, detail: "404 after its deadline")
        let purge = ledger.purgeStore
        var candidates: [PurgeCandidate] = []
        try purge.candidates(ids: ["m-purged"]) { candidates.append($0) }
        try purge.recordTombstones(candidates.map { Tombstone(candidate: $0, action: .purge, rule: "keep.text", at: LedgerHarness.now) })
        try purge.scrub(["m-purged"])
        _ = try pack.packer().pack()
        _ = try ledger.readState.markRead(ids: ["m-script", "m-file"], by: "sato", at: LedgerHarness.now)
        _ = try Exporter(store: ledger.exportStore, settings: ExportSettings(exportDir: exportDir, timeZone: Self.tokyo, toolVersion: "test"))
            .run(week: Self.week, force: nil, forced: false, now: LedgerHarness.now)
        let users = UserDirectory(dataDir: dataDir, cost: 4)
        for (name, role) in [("ana", ConsoleRole.manager), ("sam", .support), ("audrey", .auditor)] {
            try users.add(name: name, role: role, password: Self.password, at: LedgerHarness.now)
        }
    }

    static func sha256(_ bytes: [UInt8]) -> String { SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined() }

    var users: UserDirectory { UserDirectory(dataDir: dataDir, cost: 4) }

    func settings(_ adjust: (inout ConsoleSettings) -> Void = { _ in }) -> ConsoleSettings {
        var settings = ConsoleSettings(host: "127.0.0.1", port: 0, dataDir: dataDir, ledgerPath: pack.base.dir.file("ledger.sqlite3"),
                                       archiveDir: pack.archiveDir, exportDir: exportDir, policy: .lineDefaults, timeZone: Self.tokyo,
                                       channels: [])
        adjust(&settings)
        return settings
    }

    func console(_ adjust: (inout ConsoleSettings) -> Void = { _ in }) throws -> Console {
        try Console(settings: settings(adjust), clock: clock, logger: Logger(label: "console-test"))
    }

    /// Runs `body` against a new console's routes, in process.
    func test(_ adjust: (inout ConsoleSettings) -> Void = { _ in }, _ body: @escaping @Sendable (Browser) async throws -> Void) async throws {
        let app = Application(router: try console(adjust).router())
        try await app.test(.router) { client in try await body(Browser(client: client)) }
    }

    /// The CSV of the delivered week, as written to the export dir.
    var exportCSV: String { exportDir + "/" + Exporter.fileStem(week: Self.week, channel: ChannelName.implicit, profile: .full) + ".csv" }
}
