import RetentionConfig
import TalkVaultDomain
import Testing
import TestSupport

/// `console:` in `retention.yaml`: the console's sessions and the proxies in front of it.
@Suite struct ConsoleConfigTests {
    let config = ConfigTests()

    @Test func theDocumentedShapeIsRead() throws {
        let loaded = try config.load("""
            console:
              behind_proxy: true
              trusted_header: X-Forwarded-User
              session_idle: 20h
              session_max: 1d
            """)
        #expect(loaded.console.behindProxy && loaded.console.trustedHeader == "X-Forwarded-User")
        #expect(loaded.console.sessionIdle == .hours(20) && loaded.console.sessionMax == .days(1), "idle first, then a longer max")
    }

    @Test func theDefaultsSignInWithTheConsolesOwnForm() throws {
        let loaded = try config.load("# nothing\n")
        #expect(!loaded.console.behindProxy && loaded.console.trustedHeader == nil)
        #expect(loaded.console.sessionIdle == RetentionDuration(seconds: 30 * 60) && loaded.console.sessionMax == .hours(12))
    }

    @Test(arguments: [
        ("console:\n  trusted_header: 'X User'\n", 2, 19, "console.trusted_header", "HTTP header name"),
        ("console:\n  trusted_header: Cookie\n", 2, 19, "console.trusted_header", "HTTP header name"),
        ("console:\n  behind_proxy: yes please\n", 2, 17, "console.behind_proxy", "true or false"),
        ("console:\n  session_idle: 10s\n", 2, 17, "console.session_idle", "from 1m to 30d"),
        ("console:\n  session_max: 90d\n", 2, 16, "console.session_max", "from 1m to 30d"),
        ("console:\n  password: hunter2\n", 2, 3, "console.password", "unknown key"),
        ("console:\n  session_max: 1h\n  session_idle: 2h\n", 3, 17, "console.session_idle", "not be longer than session_max"),
    ])
    func eachProblemIsNamedAtItsPosition(_ yaml: String, _ line: Int, _ column: Int, _ key: String, _ words: String) throws {
        let issue = try config.issue(yaml)
        #expect(issue.line == line && issue.column == column && issue.key == key, "\(issue)")
        #expect(issue.message.contains(words), "\(issue)")
        #expect(!issue.description.contains("hunter2"))
    }
}
