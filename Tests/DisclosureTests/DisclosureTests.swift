import Crypto
@testable import Disclosure
import DurableFile
import Foundation
@testable import Ledger
import LedgerTestSupport
import Lookup
import PackingTestSupport
import Store
import TalkVaultDomain
import Testing
import TestSupport

/// A ledger with two customers' 1:1 chats, a group and a room where the first one and the
/// second talk, the account's replies from a chat backup, content archived for some (two
/// files of one name among them), one item lost and one never downloaded.
struct DisclosureHarness {
    var pack: PackHarness
    var ledger: Ledger { pack.ledger }
    var base: LedgerHarness { pack.base }
    let tokyo = TimeZone(identifier: "Asia/Tokyo")!
    static let sato = "Usato", tanaka = "Utanaka"
    /// Message id → the bytes downloaded for it.
    var content: [String: [UInt8]] = [:]

    init() throws {
        pack = try PackHarness()
        let sato = Webhook.source(user: Self.sato), tanaka = Webhook.source(user: Self.tanaka)
        // The group's name holds sato's id, and tanaka's display name does: `find`'s filters
        // would match them; the disclosure must not.
        let satoInGroup = Webhook.source(user: Self.sato, group: "Cgroup"), tanakaInGroup = Webhook.source(user: Self.tanaka, group: "Cgroup")
        let satoInRoom = Webhook.source(user: Self.sato, room: "Rroom"), tanakaInRoom = Webhook.source(user: Self.tanaka, room: "Rroom")
        try base.capture(Webhook.body([
            Webhook.text("a1", "=SUM(A1) 予約をお願いします", eventId: "e1", at: ms("2026-10-01T09:00:00+09:00"), source: sato),
            Webhook.text("b1", "田中です", eventId: "e2", at: ms("2026-10-01T09:00:00+09:00"), source: tanaka),
            Webhook.text("g1", "グループでこんにちは", eventId: "e3", at: ms("2026-10-01T10:00:00+09:00"), source: satoInGroup),
            Webhook.text("g2", "田中の発言", eventId: "e4", at: ms("2026-10-01T10:00:00+09:00"), source: tanakaInGroup),
            Webhook.media("ai", type: "image", eventId: "e5", at: ms("2026-10-02T10:00:00+09:00"), source: sato),
            Webhook.media("af", type: "file", eventId: "e6", at: ms("2026-10-02T11:00:00+09:00"), source: sato,
                          extra: ["fileName": "請求書.pdf", "fileSize": 9]),
            Webhook.media("af2", type: "file", eventId: "e7", at: ms("2026-10-02T11:30:00+09:00"), source: sato,
                          extra: ["fileName": "請求書.pdf", "fileSize": 10]),
            Webhook.media("al", type: "image", eventId: "e8", at: ms("2026-10-02T12:00:00+09:00"), source: sato),
            Webhook.media("ad", type: "video", eventId: "e9", at: ms("2026-10-02T12:30:00+09:00"), source: sato),
            Webhook.media("bi", type: "image", eventId: "e10", at: ms("2026-10-02T13:00:00+09:00"), source: tanaka),
            Webhook.media("gi", type: "image", eventId: "e11", at: ms("2026-10-03T09:00:00+09:00"), source: satoInGroup),
            Webhook.media("gj", type: "image", eventId: "e12", at: ms("2026-10-03T09:00:00+09:00"), source: tanakaInGroup),
            Webhook.text("r1", "ルームです", eventId: "e13", at: ms("2026-10-03T10:00:00+09:00"), source: satoInRoom),
            Webhook.text("r2", "ルームの田中", eventId: "e14", at: ms("2026-10-03T10:00:01+09:00"), source: tanakaInRoom),
            Webhook.text("o1", "ご予約ありがとうございます", eventId: "e15", at: ms("2026-10-01T09:05:00+09:00"), source: sato),
            Webhook.text("o2", "承知しました", eventId: "e16", at: ms("2026-10-01T09:06:00+09:00"), source: tanaka),
            Webhook.text("a2", "明日伺います", eventId: "e17", at: ms("2026-10-04T09:00:00+09:00"), source: sato),
        ]))
        try base.capture(Webhook.body([Webhook.edit("a2", "明後日伺います", eventId: "e18", at: ms("2026-10-04T09:01:00+09:00"), source: sato)]))
        // The account's replies, as an imported chat backup brings them: outgoing, no sender id.
        try ledger.db.run("""
            UPDATE messages SET direction = 'outgoing', source = 'oa-import', sender_id = NULL, sender_name = '鈴木' WHERE id IN ('o1', 'o2')
            """)
        try ledger.db.run("UPDATE chats SET name = 'Usato さんを囲む会' WHERE chat_id = 'Cgroup'")
        let profiles = ledger.profileStore
        try profiles.recordProfile(ProfileRef(userId: Self.sato, failures: 0), displayName: "さとう", now: Instant(rfc3339: "2026-09-01T00:00:00Z")!)
        try profiles.recordProfile(ProfileRef(userId: Self.sato, failures: 0), displayName: "佐藤 健", now: Instant(rfc3339: "2026-10-05T00:00:00Z")!)
        try profiles.recordProfile(ProfileRef(userId: Self.sato, chat: ChatRef(type: .group, id: "Cgroup"), failures: 0), displayName: "けん",
                                   now: Instant(rfc3339: "2026-10-05T00:00:00Z")!)
        try profiles.recordProfile(ProfileRef(userId: Self.tanaka, failures: 0), displayName: "Usato の友達 田中", now: Instant(rfc3339: "2026-10-05T00:00:00Z")!)
        for (id, bytes, type) in [("ai", [0xFF, 0xD8, 0xFF, 0xE0] + Array(repeating: UInt8(7), count: 3000), "image/jpeg"),
                                  ("af", Array("%PDF-1.4 a".utf8), "application/pdf"), ("af2", Array("%PDF-1.4 bb".utf8), "application/pdf"),
                                  ("bi", Array(repeating: UInt8(9), count: 500), "image/jpeg"), ("gi", Array(repeating: UInt8(3), count: 700), "image/png"),
                                  ("gj", Array(repeating: UInt8(4), count: 800), "image/png")] as [(String, [UInt8], String)] {
            let file = base.dir.file("staged-\(id)")
            _ = FileManager.default.createFile(atPath: file, contents: Data(bytes))
            try ledger.contentQueue.recordDownload(id: id, stagedFile: file, size: Int64(bytes.count), sha256: Self.sha256(bytes),
                                                   contentType: type, at: LedgerHarness.now)
            content[id] = bytes
        }
        _ = try ledger.contentQueue.markLost(id: "al", reason: .expired, at: LedgerHarness.now, detail: "404 after its deadline")
        _ = try pack.packer().pack()
    }

    func ms(_ text: String) -> Int64 { Instant(rfc3339: text)!.milliseconds }

    static func sha256(_ bytes: [UInt8]) -> String { FileDigest.hex(SHA256.hash(data: bytes)) }

    var discloser: Discloser {
        Discloser(search: ledger.searchStore, index: ledger.archiveIndex, profiles: ledger.profileStore, archiveDir: pack.archiveDir)
    }

    func request(_ user: String, to directory: String) -> DisclosureRequest {
        DisclosureRequest(userId: user, directory: directory, timeZone: tokyo, now: Instant(rfc3339: "2026-11-22T10:00:00+09:00")!,
                          by: "auditor", toolVersion: "9.9.9")
    }

    /// The ground truth, from every message in the ledger: the user's 1:1 chat, and what they
    /// sent anywhere else, in `find`'s order.
    func expectedIds(of user: String) throws -> [String] {
        var ids: [String] = []
        try Finder.find(ledger.searchStore, FindQuery()) { found in
            let row = found.row
            if (row.chatType == "user" && row.chatId == user) || row.senderId == user { ids.append(row.id) }
        }
        return ids
    }

    /// Every file under `directory`, relative to it.
    static func files(under directory: String) -> Set<String> {
        Set((FileManager.default.enumerator(atPath: directory)?.compactMap { $0 as? String } ?? []).filter {
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: directory + "/" + $0, isDirectory: &isDirectory) && !isDirectory.boolValue
        })
    }

    static func json(_ path: String) throws -> Any { try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) }
}

@Suite struct DisclosureTests {
    @Test func exactlyTheUsersMessagesAndTheirVerifiedFilesAreDisclosed() throws {
        let h = try DisclosureHarness()
        let out = h.base.dir.file("disclosure/sato")
        let result = try h.discloser.run(h.request(DisclosureHarness.sato, to: out))

        let expected = try h.expectedIds(of: DisclosureHarness.sato)
        #expect(expected == ["a1", "o1", "g1", "ai", "af", "af2", "al", "ad", "gi", "r1", "a2"])
        let messages = try #require(try DisclosureHarness.json(out + "/messages.json") as? [[String: Any]])
        #expect(messages.map { $0["id"] as? String } == expected, "both sides of the 1:1 chat and their own elsewhere, oldest first")
        #expect(result.messages == 11 && result.chatMessages == 8 && result.groupMessages == 3)
        #expect(result.incoming == 10 && result.outgoing == 1)
        for message in messages { #expect(Set(message.keys) == Set(Discloser.columns), "every key, null included") }
        let byId = Dictionary(uniqueKeysWithValues: messages.map { ($0["id"] as! String, $0) })
        #expect(byId["a1"]?["sent_at"] as? String == "2026-10-01T09:00:00.000+09:00")
        #expect(byId["o1"]?["direction"] as? String == "outgoing" && byId["o1"]?["source"] as? String == "oa-import")
        #expect(byId["o1"]?["sender_name"] as? String == "鈴木" && byId["o1"]?["sender_id"] is NSNull)
        #expect(byId["a1"]?["sender_name"] as? String == "佐藤 健" && byId["g1"]?["sender_name"] as? String == "けん")
        #expect(byId["al"]?["state"] as? String == "lost" && byId["al"]?["reason"] as? String == "expired" && byId["al"]?["file"] is NSNull)
        #expect(byId["ad"]?["state"] as? String == "content_due" && byId["ad"]?["file"] is NSNull)
        #expect(byId["a2"]?["text"] as? String == "明後日伺います" && byId["a2"]?["original_text"] as? String == "明日伺います")
        #expect(byId["a2"]?["edited"] as? Bool == true)
        #expect(byId["ai"]?["content_type"] as? String == "image/jpeg" && byId["ai"]?["content_size"] as? Int == 3004)
        #expect(byId["g1"]?["chat_type"] as? String == "group" && byId["r1"]?["chat_type"] as? String == "room")
        #expect(result.notArchived == ["lost:expired": 1, "content_due": 1])

        // The files: each archived content once, two of one name both kept, byte for byte.
        #expect(byId["af"]?["file"] as? String == "files/請求書.pdf" && byId["af2"]?["file"] as? String == "files/請求書-af2.pdf")
        #expect(result.files == 4)
        for id in ["ai", "af", "af2", "gi"] {
            let path = try #require(byId[id]?["file"] as? String)
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: out + "/" + path)))
            #expect(bytes == h.content[id], "\(id)")
            #expect(byId[id]?["content_sha256"] as? String == DisclosureHarness.sha256(h.content[id]!))
        }

        // The manifest names every file in the directory but itself, with the hash on disk.
        let manifest = try #require(try DisclosureHarness.json(out + "/manifest.json") as? [String: Any])
        #expect(manifest["user_id"] as? String == DisclosureHarness.sato && manifest["messages"] as? Int == 11)
        #expect(manifest["created_by"] as? String == "auditor" && manifest["talkvault_version"] as? String == "9.9.9")
        #expect(manifest["created_at"] as? String == "2026-11-22T10:00:00.000+09:00" && manifest["timezone"] as? String == "Asia/Tokyo")
        let entries = try #require(manifest["files"] as? [[String: Any]])
        #expect(Set(entries.map { $0["path"] as! String }) == DisclosureHarness.files(under: out).subtracting(["manifest.json"]))
        #expect(Set(entries.map { $0["path"] as! String }).isSuperset(of: ["messages.csv", "messages.json", "profile.json"]))
        for entry in entries {
            let onDisk = try FileDigest.sha256(ofFile: out + "/" + (entry["path"] as! String))
            #expect(entry["sha256"] as? String == onDisk.sha256 && entry["bytes"] as? Int == Int(onDisk.bytes), "\(entry)")
        }
        #expect(result.writtenFiles == entries.count)

        // The profile: every name known, earlier ones included; and the chats.
        let profile = try #require(try DisclosureHarness.json(out + "/profile.json") as? [String: Any])
        let names = try #require(profile["display_names"] as? [[String: Any]])
        #expect(names.map { $0["name"] as? String } == ["佐藤 健", "けん", "さとう"])
        #expect(names.map { $0["current"] as? Bool } == [true, true, false])
        #expect(names[1]["chat_id"] as? String == "Cgroup" && names[0]["chat_id"] is NSNull)
        let chats = try #require(profile["chats"] as? [[String: Any]])
        #expect(chats.map { $0["chat_id"] as? String } == ["Usato", "Cgroup", "Rroom"])
        #expect(chats.map { $0["messages"] as? Int } == [8, 2, 1])
    }

    @Test func theCSVHasTheSameRowsFormulaGuarded() throws {
        let h = try DisclosureHarness()
        let out = h.base.dir.file("out")
        _ = try h.discloser.run(h.request(DisclosureHarness.sato, to: out))
        let data = try Data(contentsOf: URL(fileURLWithPath: out + "/messages.csv"))
        #expect(Array(data.prefix(3)) == [0xEF, 0xBB, 0xBF], "a BOM, for Excel")
        let text = String(decoding: data.dropFirst(3), as: UTF8.self)
        let lines = text.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        #expect(lines.first == Discloser.columns.joined(separator: ","))
        #expect(lines.count == 12)
        #expect(lines.dropFirst().map { String($0.prefix { $0 != "," }) } == ["a1", "o1", "g1", "ai", "af", "af2", "al", "ad", "gi", "r1", "a2"])
        #expect(text.contains(",'=SUM(A1) 予約をお願いします,") && !text.contains(",=SUM"), "a formula is guarded")
        #expect(!text.contains("田中"), "nothing of the other customer")
    }

    @Test func theOtherCustomerGetsOnlyTheirs() throws {
        let h = try DisclosureHarness()
        let out = h.base.dir.file("tanaka")
        let result = try h.discloser.run(h.request(DisclosureHarness.tanaka, to: out))
        let messages = try #require(try DisclosureHarness.json(out + "/messages.json") as? [[String: Any]])
        #expect(messages.map { $0["id"] as? String } == (try h.expectedIds(of: DisclosureHarness.tanaka)))
        #expect(messages.map { $0["id"] as? String } == ["b1", "o2", "g2", "bi", "gj", "r2"])
        #expect(result.files == 2)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: out + "/" + (messages[3]["file"] as! String))))
        #expect(bytes == h.content["bi"])
    }

    @Test func aDirectoryThatIsNotEmptyOrAFileIsRefusedAndNothingIsWritten() throws {
        let h = try DisclosureHarness()
        let out = h.base.dir.file("busy")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        _ = h.base.dir.write("busy/.hidden", "x")
        #expect(throws: DisclosureError.notEmpty(out)) { try h.discloser.run(h.request(DisclosureHarness.sato, to: out)) }
        #expect(DisclosureHarness.files(under: out) == [".hidden"])
        let file = h.base.dir.write("plain", "x")
        #expect(throws: DisclosureError.notADirectory(file)) { try h.discloser.run(h.request(DisclosureHarness.sato, to: file)) }
        // An empty directory that exists is fine.
        let empty = h.base.dir.file("empty")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        #expect(try h.discloser.run(h.request(DisclosureHarness.sato, to: empty)).messages == 11)
    }

    @Test func anUnknownUserIsRefusedAndNothingIsWritten() throws {
        let h = try DisclosureHarness()
        let out = h.base.dir.file("nobody")
        #expect(throws: DisclosureError.unknownUser("Unobody")) { try h.discloser.run(h.request("Unobody", to: out)) }
        // Part of an id or of a name is no user either.
        #expect(throws: DisclosureError.unknownUser("Usat")) { try h.discloser.run(h.request("Usat", to: out)) }
        #expect(!FileManager.default.fileExists(atPath: out))
        // A user known only by a display name gets a disclosure of it.
        try h.ledger.profileStore.recordProfile(ProfileRef(userId: "Uquiet", failures: 0), displayName: "無口", now: LedgerHarness.now)
        let result = try h.discloser.run(h.request("Uquiet", to: out))
        #expect(result.messages == 0 && result.displayNames == 1)
        #expect((try DisclosureHarness.json(out + "/messages.json") as? [Any])?.isEmpty == true)
    }

    @Test func aDamagedArchiveFailsTheDisclosureAndLeavesNothing() throws {
        let h = try DisclosureHarness()
        for relative in h.pack.segmentPaths() {
            let segment = h.pack.archiveDir + "/" + relative
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: segment)))
            try Data(bytes.map { $0 ^ 0x5A }).write(to: URL(fileURLWithPath: segment))
        }
        let out = h.base.dir.file("damaged/out")
        let error = #expect(throws: (any Error).self) { try h.discloser.run(h.request(DisclosureHarness.sato, to: out)) }
        #expect("\(error.map { String(describing: $0) } ?? "")".contains("damaged"), "the segment is named as damaged (exit 65)")
        #expect(!FileManager.default.fileExists(atPath: out), "what was written is removed")
    }

    /// Pages end inside a run of messages of one millisecond: none is lost or repeated, and the
    /// merge keeps `find`'s order.
    @Test func pagingAndMergingKeepFindsOrder() throws {
        let h = try DisclosureHarness()
        var events: [[String: Any]] = []
        let at = h.ms("2026-10-05T09:00:00+09:00")
        for n in 0..<23 {
            events.append(Webhook.text("p\(n)", "同時 \(n)", eventId: "pe\(n)", at: at + Int64(n / 10), source: Webhook.source(user: DisclosureHarness.sato)))
            events.append(Webhook.text("q\(n)", "同時 \(n)", eventId: "qe\(n)", at: at + Int64(n / 10),
                                       source: Webhook.source(user: DisclosureHarness.sato, group: "Cgroup")))
        }
        try h.base.capture(Webhook.body(events))
        try Finder.catchUp(h.ledger.searchStore)
        let expected = try h.expectedIds(of: DisclosureHarness.sato)
        for pageSize in [1, 3, 7, 500] {
            var merged = UserMessages(store: h.ledger.searchStore, userId: DisclosureHarness.sato, pageSize: pageSize)
            var ids: [String] = []
            while let (found, _) = try merged.next() { ids.append(found.row.id) }
            #expect(ids == expected, "page size \(pageSize)")
        }
    }
}
