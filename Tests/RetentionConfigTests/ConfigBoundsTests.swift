import Foundation
import RetentionConfig
import TalkVaultDomain
import Testing

/// Config errors stay bounded whatever the file holds, and `capture.webhook_path` cannot take
/// a path the server answers itself.
extension ConfigTests {
    /// Every issue a broken config produces.
    func issues(_ yaml: String) throws -> [ConfigIssue] {
        do {
            _ = try load(yaml)
        } catch {
            guard case .invalid(let issues) = error else { throw error }
            return issues
        }
        Issue.record("expected the config to be rejected")
        return []
    }

    @Test func aLongValueIsQuotedOnlyInPart() throws {
        let value = String(repeating: "あ", count: 300_000)
        let found = try issue("timezone: \(value)\n")
        #expect(found.message == "unknown time zone '\(String(repeating: "あ", count: 40))…' (use an IANA name such as Asia/Tokyo)")
        for yaml in ["windows:\n  image: \(value)\n", "read_state: \(value)\n", "line:\n  api_base_url: \(value)\n",
                     "capture:\n  webhook_path: \(value)\n", "capture:\n  webhook_path: /\(value)\n"] {
            let message = try issue(yaml).message
            #expect(message.count < 200, "\(message.prefix(100))")
        }
    }

    @Test func aLongUnknownKeyIsNamedOnlyInPart() throws {
        let key = String(repeating: "k", count: 1_000)
        let top = try issue("\(key): 1\n")
        #expect(top.key == String(repeating: "k", count: 64) + "…")
        #expect(top.description.count < 340)
        let nested = try issue("windows:\n  \(key): 1d\n")
        #expect(nested.key == "windows." + String(repeating: "k", count: 56) + "…")
        #expect((nested.line, nested.column) == (2, 3))
    }

    @Test func atMostAHundredProblemsAreListedAndTheRestCounted() throws {
        let found = try issues((0..<1_000).map { "key_\($0): 1" }.joined(separator: "\n") + "\n")
        #expect(found.count == 101)
        #expect(found.prefix(100).allSatisfy { $0.message.hasPrefix("unknown key") })
        #expect(found[99].key == "key_99")
        #expect(found.last == ConfigIssue(file: dir.file("retention.yaml"), line: 0, column: 0, key: "",
                                          message: "900 more problems not listed (only the first 100 are)"))
        #expect(try issues((0..<100).map { "key_\($0): 1" }.joined(separator: "\n") + "\n").count == 100, "exactly 100: no summary")
    }

    @Test func aFileOverOneMebibyteIsRefusedBeforeItIsParsed() throws {
        // Valid YAML, so only the size can refuse it.
        let padded = "# " + String(repeating: "x", count: ConfigLoader.maxFileBytes) + "\ntimezone: Asia/Tokyo\n"
        let found = try issue(padded)
        #expect((found.line, found.key) == (0, ""))
        #expect(found.message == "the file is larger than 1048576 bytes (1 MiB), the most a config may be")
        let fits = "# " + String(repeating: "x", count: ConfigLoader.maxFileBytes - 40) + "\ntimezone: Asia/Tokyo\n"
        #expect(try load(fits).timeZoneIdentifier == "Asia/Tokyo")
    }

    @Test(arguments: ["/healthz", "/metrics", "/api/v1/mark-read", "/api", "/api/v2/anything", "/healthz/", "//metrics",
                      "/HEALTHZ", "/metrics/x", "/:param", "/hook/:id", "/*", "/hook/**", "/{x}", "/hook/{id}.json",
                      "/a/../healthz", "/./webhook", "/hook?x=1", "/web hook", "/フック", "/hook%2F", "hook"])
    func aWebhookPathTheServerCannotOwnIsRefused(_ path: String) throws {
        let found = try issue("capture:\n  webhook_path: '\(path)'\n")
        #expect((found.line, found.key) == (2, "capture.webhook_path"), "\(path)")
    }

    @Test(arguments: ["/webhook", "/line/hook", "/", "/healthzz", "/metrics-line", "/apis/line", "/line_webhook-2~v1", "/hook@oa"])
    func aWebhookPathOfItsOwnIsAccepted(_ path: String) throws {
        #expect(try load("capture:\n  webhook_path: '\(path)'\n").webhookPath == path)
    }

    @Test func theCollisionIsNamed() throws {
        let found = try issue("capture:\n  webhook_path: /metrics\n")
        #expect(found.message == "collides with the server's own /metrics (choose another path, such as /webhook)")
        #expect(try issue("capture:\n  webhook_path: /:id\n").message.contains("letters, digits"))
    }
}
