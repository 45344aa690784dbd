import AsyncHTTPClient
import Foundation
import LINESimulator
import TalkVaultDomain
import Testing
import TestSupport

/// `mark-read` as an operator runs it: the built binaries, LINE played by the simulator binary.
@Suite struct ReadStateCLITests {
    let cli = CLITests()

    @Test func markReadReachesLINEAndTheExportFromTheCommandLine() async throws {
        let (simulator, url) = try SimulatorBinaryTests.start(["--seed", "3"])
        defer { simulator.terminate(); simulator.waitUntilExit() }
        let yaml = try String(contentsOfFile: "\(Fixtures.packageRoot)/retention.yaml", encoding: .utf8)
            .replacingOccurrences(of: "https://api-data.line.me", with: url).replacingOccurrences(of: "https://api.line.me", with: url)
        try yaml.write(toFile: cli.dir.file("retention.yaml"), atomically: true, encoding: .utf8)
        let at = { (text: String) in Instant(rfc3339: text)!.milliseconds }
        let chat = Webhook.source(user: "Uchat")
        try Webhook.body([
            Webhook.text("r1", "一通目", eventId: "e1", at: at("2026-11-17T10:00:00+09:00"), source: chat),
            Webhook.text("r2", "二通目", eventId: "e2", at: at("2026-11-18T10:00:00+09:00"), source: chat),
            Webhook.text("r3", "三通目", eventId: "e3", at: at("2026-11-19T10:00:00+09:00"), source: chat),
        ]).write(to: URL(fileURLWithPath: cli.dir.file("body.json")))
        let now = ["TALKVAULT_NOW": "2026-11-24T10:00:00+09:00"]
        let base = ["--data-dir", "data", "--config", "retention.yaml"]
        #expect(try cli.talkvault(["ingest", "body.json"] + base, environment: now).status == 0)
        // LINE issued the tokens those webhooks carry (its markAsRead refuses any other).
        try await register(url, tokens: ["r1": "tok-r1", "r2": "tok-r2", "r3": "tok-r3"])

        // LINE refuses the token: the read is recorded, the call waits.
        let refused = try cli.talkvault(["mark-read", "r1", "--by", "sato"] + base, environment: now.merging(["TALKVAULT_ACCESS_TOKEN": "wrong"]) { $1 })
        #expect(refused.status == 0, "\(refused.stderr)")
        #expect(refused.stdout.contains("marked read  1 (by sato)"))
        #expect(refused.stdout.contains("1 left for the next sweep"))
        #expect(try await markedTokens(url) == [])

        // A chat up to a day, with the right token: r2 is marked, and both calls reach LINE.
        let accepted = try cli.talkvault(["mark-read", "--chat", "Uchat", "--until", "2026-11-18", "--by", "suzuki", "--json"] + base,
                                         environment: now.merging(["TALKVAULT_ACCESS_TOKEN": SimulatorConfig.defaultAccessToken]) { $1 })
        #expect(accepted.status == 0, "\(accepted.stderr)")
        let summary = try JSONSerialization.jsonObject(with: Data(accepted.stdout.utf8)) as! [String: Any]
        #expect(summary["marked"] as? [String] == ["r2"])
        #expect(summary["already_read"] as? [String] == ["r1"])
        #expect(summary["read_receipts_sent"] as? Int == 2)
        #expect(try await markedTokens(url) == ["tok-r1", "tok-r2"])
        #expect(try cli.talkvault(["mark-read", "nope"] + base, environment: now).status == 2)

        let show = try cli.talkvault(["show", "r1", "--json"] + base, environment: now)
        let detail = try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as! [String: Any]
        #expect(detail["read_by"] as? String == "sato")
        #expect((detail["mark_as_read"] as? [String: Any])?["sent_at"] is String)

        // The week's export has the two read messages and leaves the unread one out.
        let export = try cli.talkvault(["export", "--week", "2026-W47"] + base, environment: now)
        #expect(export.status == 0, "\(export.stderr)")
        let csv = try String(contentsOfFile: export.stdout.trimmingCharacters(in: .whitespacesAndNewlines), encoding: .utf8)
        #expect(csv.contains("一通目") && csv.contains("二通目") && !csv.contains("三通目"))
    }

    private func register(_ url: String, tokens: [String: String]) async throws {
        let messages = tokens.sorted { $0.key < $1.key }.map { id, token in
            ["id": id, "kind": "text", "chat_type": "user", "chat_id": "Uchat", "user_id": "Uchat", "timestamp": 0, "size": 0,
             "external": false, "mark_as_read_token": token] as [String: Any]
        }
        var request = HTTPClientRequest(url: url + "/admin/messages")
        request.method = .POST
        request.body = .bytes(try JSONSerialization.data(withJSONObject: ["messages": messages, "unsends": []]))
        #expect(try await HTTPClient.shared.execute(request, timeout: .seconds(10)).status == .ok)
    }

    private func markedTokens(_ url: String) async throws -> [String] {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url + "/admin/stats"), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        let object = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as! [String: Any]
        return ((object["mark_as_read"] as? [[String: Any]]) ?? []).compactMap { $0["token"] as? String }.sorted()
    }
}
