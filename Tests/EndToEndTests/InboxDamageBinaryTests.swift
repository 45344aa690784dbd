import Foundation
@testable import InboxLog
import Intake
@testable import Ledger
import LedgerTestSupport
import SQLiteDB
import Store
import TalkVaultDomain
import Testing
import TestSupport

/// The built binaries: `serve` killed with acknowledged bodies unapplied, 1 MiB of its inbox
/// segment zeroed, then what `status`, `verify` and a writing command make of it.
@Suite struct InboxDamageBinaryTests {
    @Test func aZeroedMebibyteAfterAKill9IsReportedAndTheRestIsApplied() async throws {
        let dir = TempDir()
        let dataDir = dir.file("data")
        let (process, url, _) = try ServeBinaryTests.startServe(dataDir: dataDir)
        #expect(url.hasPrefix("http://127.0.0.1:"))
        // Another process holds the ledger's write lock: serve acknowledges, and cannot apply.
        let holder = try SQLiteHolder(path: dataDir + "/ledger.sqlite3")
        let acknowledged = await withTaskGroup(of: [String].self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var ok: [String] = []
                    for i in 0..<250 {
                        let id = "w\(worker)-\(i)"
                        let body = Webhook.body([Webhook.text("m-\(id)", "load \(id) " + String(repeating: "z", count: 1_500), eventId: id,
                                                              at: 1_790_000_000_000)])
                        if (try? await ServeBinaryTests.post(body, to: url, timeout: 10)) == .ok { ok.append("m-\(id)") }
                    }
                    return ok
                }
            }
            return await group.reduce(into: [String]()) { $0 += $1 }
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        holder.release()
        #expect(acknowledged.count == 2_000, "every request is answered while the ledger is locked")

        // Where each acknowledged body lies, then 1 MiB of it zeroed.
        let inbox = SegmentDirectory(ledgerPath: dataDir + "/ledger.sqlite3")
        let reader = try InboxLogReader(directory: inbox, from: .start)
        var placed: [(id: String, segment: UInt64, start: Int, end: Int)] = []
        while let record = try reader.next() {
            let text = String(decoding: record.body, as: UTF8.self)
            let id = "m-" + text.components(separatedBy: "\"id\":\"m-")[1].prefix { $0 != "\"" }
            placed.append((id, record.end.segment, record.end.offset - 32 - record.body.count, record.end.offset))
        }
        #expect(Set(placed.map(\.id)) == Set(acknowledged), "the log holds every acknowledged body")
        let segment = placed[0].segment
        let from = 1 << 20
        let handle = try #require(FileHandle(forUpdatingAtPath: inbox.file(segment)))
        try handle.seek(toOffset: UInt64(from))
        try handle.write(contentsOf: Data(count: 1 << 20))
        try handle.close()
        let lost = Set(placed.filter { $0.segment == segment && $0.end > from && $0.start < from + (1 << 20) }.map(\.id))
        #expect(lost.count > 100)

        let cli = CLITests()
        let config = ["--data-dir", dataDir, "--config", "\(Fixtures.packageRoot)/retention.yaml"]
        let file = SegmentDirectory.fileName(segment)
        let status = try cli.talkvault(["status"] + config)
        #expect(status.status == 65)
        #expect(status.stdout.contains("PROBLEM: inbox segment \(file)"))
        let json = try cli.talkvault(["status", "--json"] + config)
        #expect(json.status == 65)
        let inboxJSON = try #require((try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])?["inbox"] as? [String: Any])
        #expect((inboxJSON["damage"] as? [[String: Any]])?.first?["file"] as? String == file)
        let verify = try cli.talkvault(["verify"] + config)
        #expect(verify.status == 65)
        #expect(verify.stdout.contains("PROBLEM: inbox segment \(file)"))

        // A writing command applies what can be read; the damage stays reported.
        #expect(try cli.talkvault(["pack"] + config).status == 0)
        let ledger = try Ledger.opened(path: dataDir + "/ledger.sqlite3", policy: .lineDefaults, create: false, applyingInbox: false)
        var missing = Set<String>()
        for id in acknowledged where try ledger.searchStore.message(id: id) == nil { missing.insert(id) }
        #expect(missing == lost, "exactly the bodies in the zeroed mebibyte are lost, and no other")
        #expect(try cli.talkvault(["status"] + config).status == 65)
        let damage = try InboxApplier(ledger).health().damage
        #expect(damage.count == 1 && damage[0].kind == .unreadable && damage[0].segment == segment)
    }
}
