import Foundation
import RetentionConfig
import TalkVaultDomain
import Testing
import TestSupport

/// `keep:` and `unsent:` in `retention.yaml`: how long TalkVault itself keeps things, validated
/// as strictly as the rest, with a warning (not an error) for a keep shorter than LINE's window.
@Suite struct KeepConfigTests {
    let config = ConfigTests()

    var file: String { config.dir.file("retention.yaml") }

    /// Every issue a broken config produces.
    func issues(_ yaml: String) throws -> [ConfigIssue] {
        do {
            _ = try config.load(yaml)
        } catch {
            guard case .invalid(let issues) = error else { throw error }
            return issues
        }
        Issue.record("expected the config to be rejected")
        return []
    }

    @Test func theDocumentedShapeIsRead() throws {
        let loaded = try config.load("""
            channels:
              - name: shop
            keep:
              text: 7y
              image: 3y
              file: 7y
              exports: 10y
              tags:
                invoice: 10y
              chat_types:
                group:
                  text: 3y
              channels:
                shop:
                  text: 5y
            unsent: redact
            """)
        let years = { (n: Int64) in KeepDuration.span(.days(365 * n)) }
        #expect(loaded.keep == KeepRules(kinds: [.text: years(7), .image: years(3), .file: years(7)],
                                         chatTypes: [.group: [.text: years(3)]], channels: ["shop": [.text: years(5)]],
                                         tags: ["invoice": years(10)], exports: years(10), unsent: .redact))
        #expect(!loaded.keep.keepsEverything)
        #expect(loaded.warnings.isEmpty)
    }

    @Test func withoutKeepEverythingIsKeptForeverAndUnsentMessagesAreKept() throws {
        for loaded in [try config.load("# nothing here\n"), try ConfigLoader.load(path: "\(Fixtures.packageRoot)/retention.yaml")] {
            #expect(loaded.keep == KeepRules())
            #expect(loaded.keep.keepsEverything)
            #expect(loaded.keep.unsent == .keep)
            #expect(loaded.warnings.isEmpty)
        }
        #expect(try config.load("keep:\nunsent: keep\n").keep == KeepRules())
    }

    @Test func foreverIsAcceptedEverywhere() throws {
        let loaded = try config.load("""
            keep:
              text: forever
              exports: forever
              tags: {Invoice: forever}
              chat_types: {room: {image: forever}}
              channels: {default: {file: forever}}
            unsent: delete
            """)
        #expect(loaded.keep.kinds == [.text: .forever])
        #expect(loaded.keep.exports == .forever)
        #expect(loaded.keep.tags == ["invoice": .forever])
        #expect(loaded.keep.chatTypes == [.room: [.image: .forever]])
        #expect(loaded.keep.channels == ["default": [.file: .forever]])
        #expect(loaded.keep.unsent == .delete)
        #expect(loaded.keep.keepsEverything)
    }

    @Test func durationsInEveryUnitAreRead() throws {
        let loaded = try config.load("keep:\n  text: 1y180d\n  image: 400d\n  video: 2w\n")
        #expect(loaded.keep.kinds[.text] == .span(.days(545)))
        #expect(loaded.keep.kinds[.image] == .span(.days(400)))
        #expect(loaded.keep.kinds[.video] == .span(.days(14)))
    }

    /// Each problem at the node that has it, with its key path and the whole message.
    @Test(arguments: [
        ("keep:\n  txt: 7y\n", 2, 3, "keep.txt",
         "unknown kind 'txt' (expected text, sticker, location, image, video, audio, file, unknown, exports, tags, chat_types, channels)"),
        ("keep:\n  chat_types:\n    dm:\n      text: 1y\n", 3, 5, "keep.chat_types.dm",
         "unknown chat type 'dm' (expected user, group, room)"),
        ("keep:\n  chat_types:\n    group:\n      txt: 1y\n", 4, 7, "keep.chat_types.group.txt",
         "unknown kind 'txt' (expected text, sticker, location, image, video, audio, file, unknown)"),
        ("keep:\n  text: 7years\n", 2, 9, "keep.text",
         "bad duration '7years': expected a number at character 3 (write it like 7y, 400d or 1y180d, or forever)"),
        ("keep:\n  image: 0d\n", 2, 10, "keep.image", "must be longer than zero (got 0s); to keep for ever, write forever"),
        ("keep:\n  exports: -1y\n", 2, 12, "keep.exports", "must be longer than zero (got -1y); to keep for ever, write forever"),
        ("keep:\n  text: 101y\n", 2, 9, "keep.text", "must be at most 100y, or forever (got '101y')"),
        ("keep:\n  text: [7y]\n", 2, 9, "keep.text", "expected a single value"),
        ("unsent: hide\n", 1, 9, "unsent", "must be keep, redact or delete (got 'hide')"),
        ("keep:\n  tags:\n    '2024': 1y\n", 3, 5, "keep.tags.2024",
         "invalid tag '2024' (1 to 40 letters, digits, '-' or '_', with at least one letter, not starting with '-')"),
        ("keep:\n  tags:\n    invoice: 1y\n    Invoice: 2y\n", 4, 5, "keep.tags.Invoice",
         "is the tag 'invoice' again (line 3): tags are compared in lower case"),
        ("keep:\n  channels:\n    shop:\n      text: 5y\n", 3, 5, "keep.channels.shop",
         "unknown channel 'shop' (without a channels: list the only channel is default)"),
        ("channels:\n  - name: shop-a\nkeep:\n  channels:\n    shop:\n      text: 5y\n", 5, 5, "keep.channels.shop",
         "unknown channel 'shop' (configured: shop-a)"),
        ("keep:\n  channels:\n    default:\n      texts: 5y\n", 4, 7, "keep.channels.default.texts",
         "unknown kind 'texts' (expected text, sticker, location, image, video, audio, file, unknown)"),
        ("keep: 7y\n", 1, 7, "keep", "expected a mapping of keys to values"),
    ] as [(String, Int, Int, String, String)])
    func aProblemIsNamedAtItsPosition(_ yaml: String, _ line: Int, _ column: Int, _ key: String, _ message: String) throws {
        let found = try issues(yaml)
        #expect(found == [ConfigIssue(file: file, line: line, column: column, key: key, message: message)])
    }

    @Test func everyProblemIsListedAtOnce() throws {
        let found = try issues("keep:\n  txt: 7y\n  image: 0d\n  chat_types:\n    dm: {text: 1y}\nunsent: hide\n")
        #expect(found.map(\.key) == ["keep.txt", "keep.image", "keep.chat_types.dm", "unsent"])
        #expect(found.map(\.line) == [2, 3, 5, 6])
    }

    @Test func aKeepShorterThanLINEsWindowIsAWarningNotAnError() throws {
        let loaded = try config.load("keep:\n  image: 7d\n  text: 30d\n")
        #expect(loaded.keep.kinds[.image] == .span(.days(7)))
        #expect(loaded.warnings == [
            ConfigIssue(file: file, line: 2, column: 10, key: "keep.image",
                        message: "7d is shorter than LINE's 14d window for image: TalkVault deletes its copy while LINE still has it, "
                            + "and content not downloaded within 7d is never downloaded"),
            ConfigIssue(file: file, line: 3, column: 9, key: "keep.text",
                        message: "30d is shorter than LINE's 1y window for text: TalkVault deletes its copy while LINE still has it"),
        ])
        #expect(loaded.warnings[0].description == "\(file):2:10: keep.image: 7d is shorter than LINE's 14d window for image: "
            + "TalkVault deletes its copy while LINE still has it, and content not downloaded within 7d is never downloaded")
    }

    @Test func aKeepAsLongAsLINEsWindowOrLongerIsNoWarning() throws {
        let loaded = try config.load("keep:\n  image: 14d\n  video: 15d\n  text: 1y\n  file: forever\n  exports: 1d\n  tags: {invoice: 1d}\n")
        #expect(loaded.warnings.isEmpty)
    }

    /// The config's own windows are the measure: its `windows`, `chat_overrides` and the
    /// channel's own windows, each for the rules it governs.
    @Test func theWarningMeasuresAgainstTheConfigsOwnWindows() throws {
        let loaded = try config.load("""
            windows:
              image: 3d
            chat_overrides:
              user: {text: 2y}
            channels:
              - name: shop
                windows: {file: 30d}
            keep:
              image: 5d
              chat_types:
                user: {text: 1y}
                group: {text: 1y}
              channels:
                shop: {file: 20d, image: 10d}
            """)
        #expect(loaded.warnings.map(\.key) == ["keep.chat_types.user.text", "keep.channels.shop.file"])
        #expect(loaded.warnings.map(\.line) == [11, 14])
        #expect(loaded.warnings[0].message.hasPrefix("1y is shorter than LINE's 2y window for text in user chats: "))
        #expect(loaded.warnings[1].message.hasPrefix("20d is shorter than LINE's 30d window for file in channel shop: "))
    }

    /// A channel's rule holds in every chat type: it is too short if any of them keeps longer.
    @Test func aChannelRuleIsMeasuredAgainstItsLongestChatWindow() throws {
        let loaded = try config.load("chat_overrides:\n  group: {image: 60d}\nkeep:\n  channels:\n    default: {image: 30d}\n")
        #expect(loaded.warnings.map(\.key) == ["keep.channels.default.image"])
        #expect(loaded.warnings[0].message.hasPrefix("30d is shorter than LINE's 60d window for image in group chats of channel default: "))
    }

    @Test func aBrokenConfigReportsItsErrorsAndNotItsWarnings() throws {
        let found = try issues("keep:\n  image: 1d\n  txt: 1y\n")
        #expect(found.map(\.key) == ["keep.txt"])
    }
}
