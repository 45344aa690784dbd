import Foundation
import RetentionConfig
import TalkVaultDomain
import Testing
import TestSupport

/// `relay:` in `retention.yaml`: the shape the issue names, validated as strictly as the rest,
/// each problem at its `file:line:col`.
@Suite struct RelayConfigTests {
    let config = ConfigTests()

    @Test func theDocumentedShapeIsRead() throws {
        let loaded = try config.load("""
            relay:
              - name: lstep                      # a short slug
                url: https://example.invalid/hook
                channels: [default]
                timeout: 10s
                max_age: 24h
              - name: crm
                url: http://10.0.0.5:8080/line/webhook?tenant=7
                secret_header: X-Api-Key
            """)
        #expect(loaded.relay == [
            RelayTarget(name: "lstep", url: "https://example.invalid/hook", channels: ["default"], timeout: RetentionDuration(seconds: 10),
                        maxAge: .hours(24)),
            RelayTarget(name: "crm", url: "http://10.0.0.5:8080/line/webhook?tenant=7", secretHeader: "X-Api-Key"),
        ])
        #expect(loaded.relay[1].timeout == RetentionDuration(seconds: 10) && loaded.relay[1].maxAge == .hours(24), "the defaults")
        #expect(loaded.relay[1].credentialName == "relay-crm" && loaded.relay[1].environmentName == "TALKVAULT_RELAY_CRM")
        #expect(try config.load("timezone: Asia/Tokyo").relay.isEmpty, "no relay: nothing is relayed")
        // A tool on this machine on another port, at the same path, is a target like any other.
        #expect(try config.load("relay:\n  - name: local\n    url: http://127.0.0.1:3000/webhook\n").relay.count == 1)
    }

    @Test(arguments: [
        ("relay:\n  - url: https://a.example/hook\n", 2, 5, "relay[0]", "needs a name"),
        ("relay:\n  - name: a\n", 2, 5, "relay[0]", "needs a url"),
        ("relay:\n  - name: Lステップ\n    url: https://a.example/h\n", 2, 11, "relay[0].name", "lower-case letters"),
        ("relay:\n  - name: a\n    url: https://user:pw@a.example/h\n", 3, 10, "relay[0].url", "must not hold credentials"),
        ("relay:\n  - name: a\n    url: ftp://a.example/h\n", 3, 10, "relay[0].url", "http(s) URL"),
        ("relay:\n  - name: a\n    url: /hook\n", 3, 10, "relay[0].url", "http(s) URL"),
        ("relay:\n  - name: a\n    url: http://127.0.0.1:8080/webhook\n", 3, 10, "relay[0].url", "points back at TalkVault's own webhook"),
        ("capture:\n  webhook_path: /line\nrelay:\n  - name: a\n    url: http://localhost:8080/line\n", 5, 10, "relay[0].url", "points back"),
        ("relay:\n  - name: a\n    url: https://a.example/h\n    timeout: 0s\n", 4, 14, "relay[0].timeout", "from 1s to 5m"),
        ("relay:\n  - name: a\n    url: https://a.example/h\n    max_age: 90d\n", 4, 14, "relay[0].max_age", "from 1m to 30d"),
        ("relay:\n  - name: a\n    url: https://a.example/h\n    channels: [shop-z]\n", 4, 16, "relay[0].channels", "unknown channel 'shop-z'"),
        ("relay:\n  - name: a\n    url: https://a.example/h\n    channels: default\n", 4, 15, "relay[0].channels", "a list of channel names"),
        ("relay:\n  - name: a\n    url: https://a.example/h\n    secret_header: X-Line-Signature\n", 4, 20, "relay[0].secret_header", "sets itself"),
        ("relay:\n  - name: a\n    url: https://a.example/h\n    secret_header: 'X Key'\n", 4, 20, "relay[0].secret_header", "header name"),
        ("relay:\n  - name: a\n    url: https://a.example/h\n    secret: hunter2\n", 4, 5, "relay[0].secret", "unknown key"),
        ("relay:\n  name: a\n", 2, 3, "relay", "a list of targets"),
        ("relay:\n  - name: a\n    url: https://a.example/h\n  - name: a\n    url: https://b.example/h\n", 4, 11, "relay[1].name", "names another target too (line 2)"),
    ])
    func eachProblemIsNamedAtItsPosition(_ yaml: String, _ line: Int, _ column: Int, _ key: String, _ words: String) throws {
        let issue = try config.issue(yaml)
        #expect(issue.line == line && issue.column == column && issue.key == key, "\(issue)")
        #expect(issue.message.contains(words), "\(issue)")
    }

    /// A URL's credentials never reach an error message; nor does a secret given as a key.
    @Test func aSecretInTheFileIsNeverEchoed() throws {
        let issue = try config.issue("relay:\n  - name: a\n    url: https://user:s3cr3t@a.example/h\n")
        #expect(!issue.description.contains("s3cr3t"))
    }
}
