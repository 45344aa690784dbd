import Foundation
import RetentionConfig
import TalkVaultDomain
import Testing
import TestSupport

@Suite struct ConfigTests {
    let dir = TempDir()

    func load(_ yaml: String) throws(ConfigError) -> TalkVaultConfig {
        try ConfigLoader.load(path: dir.write("retention.yaml", yaml))
    }

    /// The single issue a broken config produces.
    func issue(_ yaml: String) throws -> ConfigIssue {
        do {
            _ = try load(yaml)
        } catch {
            guard case .invalid(let issues) = error else { throw error }
            try #require(issues.count == 1, "expected one issue, got \(issues)")
            return issues[0]
        }
        Issue.record("expected the config to be rejected")
        throw CancellationError()
    }

    @Test func theShippedFileIsValidAndMatchesTheEmbeddedDefaults() throws {
        let shipped = try String(contentsOfFile: "\(Fixtures.packageRoot)/retention.yaml", encoding: .utf8)
        #expect(shipped == ConfigLoader.embeddedDefaultYAML, "run scripts/embed-default-config")
        let config = try ConfigLoader.load(path: "\(Fixtures.packageRoot)/retention.yaml")
        #expect(config.policy == RetentionPolicy.lineDefaults)
        #expect(config.timeZoneIdentifier == "Asia/Tokyo")
        #expect(config.database == "ledger.sqlite3")
    }

    @Test func withNoFileTheEmbeddedDefaultsApply() throws {
        let config = try ConfigLoader.locateAndLoad(explicitPath: nil, workingDirectory: dir.path)
        #expect(config.source == .embedded || FileManager.default.fileExists(atPath: "/etc/talkvault/retention.yaml"))
        #expect(config.policy.window(for: .file, in: .user) == .days(7))
    }

    @Test func anExplicitPathThatDoesNotExistIsAnError() {
        #expect(throws: ConfigError.unreadable(file: dir.file("nope.yaml"), reason: "no such file")) {
            _ = try ConfigLoader.locateAndLoad(explicitPath: dir.file("nope.yaml"))
        }
    }

    @Test func anEmptyFileMeansDefaults() throws {
        #expect(try load("# nothing here\n").policy == .lineDefaults)
    }

    @Test func overridesAndMarginAreRead() throws {
        let config = try load("""
            timezone: Europe/Berlin
            windows:
              image: 10d
            chat_overrides:
              user:
                image: 1y
                file: 1y
              group: {file: 3d}
            safety_margin: 36h
            """)
        #expect(config.timeZoneIdentifier == "Europe/Berlin")
        #expect(config.policy.window(for: .image, in: .group) == .days(10))
        #expect(config.policy.window(for: .image, in: .user) == .days(365))
        #expect(config.policy.window(for: .file, in: .group) == .days(3))
        #expect(config.policy.window(for: .file, in: .room) == .days(7))
        #expect(config.policy.safetyMargin == .hours(36))
        #expect(config.policy.isOverridden(.file, in: .group))
        #expect(!config.policy.isOverridden(.file, in: .room))
    }

    @Test func anUnknownKeyIsNamedAtItsPosition() throws {
        let found = try issue("timezone: Asia/Tokyo\nwindows:\n  text: 1y\n  imgae: 14d\n")
        #expect(found.line == 4)
        #expect(found.column == 3)
        #expect(found.key == "windows.imgae")
        #expect(found.message.contains("unknown key"))
        #expect(found.description.hasPrefix(dir.file("retention.yaml") + ":4:3: windows.imgae: unknown key"))
    }

    @Test func anUnknownTopLevelKeyIsNamed() throws {
        let found = try issue("timezone: Asia/Tokyo\nchannel_secret: abc\n")
        #expect((found.line, found.column, found.key) == (2, 1, "channel_secret"))
    }

    @Test func anUnknownChatTypeIsNamed() throws {
        let found = try issue("chat_overrides:\n  dm:\n    text: 1y\n")
        #expect((found.line, found.column, found.key) == (2, 3, "chat_overrides.dm"))
    }

    /// The archive, sweep and read-state settings are validated like the rest.
    @Test(arguments: [
        ("archive:\n  compression_level: 11\n", 2, 22, "archive.compression_level", "zlib level"),
        ("archive:\n  member_target_bytes: 10\n", 2, 24, "archive.member_target_bytes", "16384"),
        ("archive:\n  segment_max_bytes: lots\n", 2, 22, "archive.segment_max_bytes", "1048576"),
        ("archive:\n  level: 6\n", 2, 3, "archive.level", "unknown key"),
        ("sweep:\n  concurrency: 0\n", 2, 16, "sweep.concurrency", "1 to 256"),
        ("sweep:\n  rate_limit: 5000\n", 2, 15, "sweep.rate_limit", "2000"),
        ("sweep:\n  transcode_wait: soon\n", 2, 19, "sweep.transcode_wait", "bad duration"),
        ("sweep:\n  max_attempts: 0\n", 2, 17, "sweep.max_attempts", "1 to 100"),
        ("read_state: sometimes\n", 1, 13, "read_state", "line"),
    ] as [(String, Int, Int, String, String)])
    func newSectionsAreValidatedAtTheirPosition(_ yaml: String, _ line: Int, _ column: Int, _ key: String, _ words: String) throws {
        let found = try issue(yaml)
        #expect((found.line, found.column, found.key) == (line, column, key))
        #expect(found.message.contains(words), "\(found.message)")
    }

    @Test func newSectionsAreRead() throws {
        let config = try load("archive:\n  compression_level: 9\nsweep:\n  concurrency: 8\n  transcode_wait: 1m\nread_state: auto\n")
        #expect(config.archive.compressionLevel == 9)
        #expect(config.sweep.concurrency == 8 && config.sweep.transcodeWait.seconds == 60)
        #expect(config.readMode == .auto)
    }

    @Test func aBadDurationIsNamed() throws {
        let found = try issue("windows:\n  image: 14days\n")
        #expect((found.line, found.column, found.key) == (2, 10, "windows.image"))
        #expect(found.message.contains("bad duration '14days'"))
    }

    @Test(arguments: ["0d", "-3d", "0s"])
    func aZeroOrNegativeWindowIsNamed(_ value: String) throws {
        let found = try issue("windows:\n  file: \(value)\n")
        #expect((found.line, found.column, found.key) == (2, 9, "windows.file"))
        #expect(found.message.contains("longer than zero"))
    }

    /// A duration long enough to overflow the arithmetic on times (milliseconds, nanoseconds)
    /// used to pass `check` and then trap every command; timeouts have bounds of their own.
    @Test(arguments: [("windows:\n  text: 300000000y\n", "windows.text", "at most 100y"),
                      ("capture:\n  profile_refresh: 300000000y\n", "capture.profile_refresh", "at most 100y"),
                      ("sweep:\n  request_timeout: 30y\n", "sweep.request_timeout", "from 1s to 1d"),
                      ("sweep:\n  transcode_wait: 2d\n", "sweep.transcode_wait", "from 1s to 1d")])
    func aDurationTooLongToComputeWithIsNamed(yaml: String, key: String, message: String) throws {
        let found = try issue(yaml)
        #expect(found.key == key)
        #expect(found.message.contains(message), "\(found.message)")
    }

    @Test func aZeroOverrideWindowIsNamed() throws {
        let found = try issue("chat_overrides:\n  group:\n    video: 0h\n")
        #expect((found.line, found.key) == (3, "chat_overrides.group.video"))
    }

    @Test func aMarginLongerThanAWindowIsNamed() throws {
        let found = try issue("windows:\n  file: 7d\nsafety_margin: 8d\n")
        #expect((found.line, found.column, found.key) == (3, 16, "safety_margin"))
        #expect(found.message.contains("file"))
    }

    @Test func aMarginLongerThanAnOverrideIsNamed() throws {
        let found = try issue("chat_overrides:\n  room:\n    image: 1d\nsafety_margin: 2d\n")
        #expect(found.key == "safety_margin")
        #expect(found.message.contains("image in room chats"))
    }

    @Test func aNegativeMarginIsNamed() throws {
        let found = try issue("safety_margin: -1h\n")
        #expect((found.line, found.key) == (1, "safety_margin"))
    }

    @Test func aBadTimeZoneIsNamed() throws {
        let found = try issue("# comment\ntimezone: Asia/Tokio\n")
        #expect((found.line, found.column, found.key) == (2, 11, "timezone"))
        #expect(found.message.contains("Asia/Tokio"))
    }

    @Test func aDuplicateKeyIsNamed() throws {
        let found = try issue("windows:\n  text: 1y\n  text: 2y\n")
        #expect((found.line, found.column, found.key) == (2, 3, "text"))
        #expect(found.message.hasPrefix("duplicate key"))
    }

    @Test func aPathEscapingTheDataDirIsRejected() throws {
        let found = try issue("paths:\n  database: ../../etc/passwd\n")
        #expect((found.line, found.key) == (2, "paths.database"))
        let absolute = try issue("paths:\n  export_dir: /tmp/x\n")
        #expect(absolute.key == "paths.export_dir")
    }

    @Test func captureAndLineSettingsAreValidated() throws {
        let config = try load("capture:\n  webhook_path: /line/hook\n  max_body_bytes: 2048\nline:\n  api_base_url: http://127.0.0.1:9000\n")
        #expect(config.webhookPath == "/line/hook")
        #expect(config.maxBodyBytes == 2048)
        #expect(config.apiBaseURL == "http://127.0.0.1:9000")
        #expect(config.dataAPIBaseURL == "https://api-data.line.me")
        #expect(try issue("capture:\n  webhook_path: hook\n").key == "capture.webhook_path")
        #expect(try issue("capture:\n  max_body_bytes: lots\n").key == "capture.max_body_bytes")
        #expect(try issue("capture:\n  profile_refresh: 0d\n").key == "capture.profile_refresh")
        let url = try issue("line:\n  api_base_url: ftp://example.com\n")
        #expect((url.line, url.column, url.key) == (2, 17, "line.api_base_url"))
        #expect(try issue("line:\n  channel_secret: x\n").message.contains("unknown key"))
    }

    @Test func aWrongShapeIsNamed() throws {
        let found = try issue("windows:\n  - text\n  - 1y\n")
        #expect((found.line, found.key) == (2, "windows"))
        #expect(found.message.contains("mapping"))
    }

    @Test func brokenYAMLIsLocated() throws {
        let found = try issue("windows:\n  text: 1y\n   image: [14d\n")
        #expect(found.line >= 3)
        #expect(found.message.hasPrefix("invalid YAML"))
    }

    @Test func everyProblemIsReportedAtOnce() throws {
        do {
            _ = try load("timezone: Mars/Base\nwindows:\n  file: 0d\n  foo: 1d\n")
            Issue.record("expected rejection")
        } catch {
            guard case .invalid(let issues) = error else { throw error }
            #expect(issues.map(\.key) == ["timezone", "windows.file", "windows.foo"])
        }
    }

    @Test func aRelativeDataDirIsTakenFromTheConfigFilesDirectory() throws {
        let config = try load("data_dir: state\n")
        #expect(config.dataDir == dir.file("state"))
        let paths = config.paths(dataDirOverride: nil)
        #expect(paths.database == dir.file("state/ledger.sqlite3"))
        let overridden = config.paths(dataDirOverride: "elsewhere", workingDirectory: "/srv")
        #expect(overridden.archiveDir == "/srv/elsewhere/archive")
    }
}
