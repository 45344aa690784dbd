import Foundation
import TalkVaultDomain
import Testing

@Suite struct DurationTests {
    static let cases: [(String, Int64)] = [
        ("1y", 31_536_000), ("14d", 1_209_600), ("36h", 129_600), ("90m", 5_400), ("2w", 1_209_600),
        ("1d12h", 129_600), ("45s", 45), (" 7d ", 604_800), ("-3d", -259_200),
    ]

    @Test(arguments: cases)
    func parses(_ text: String, _ seconds: Int64) throws {
        #expect(try RetentionDuration(parsing: text).seconds == seconds)
    }

    @Test(arguments: ["", "d", "14", "14x", "1.5d", "14days", "1y-2d", "99999999999999999999y", "-"])
    func rejects(_ text: String) {
        #expect(throws: RetentionDuration.ParseError.self) { _ = try RetentionDuration(parsing: text) }
    }

    @Test func printsBackToWhatItParses() throws {
        for text in ["1y", "14d", "1d12h", "90m", "363d", "0s", "-2h"] {
            let d = try RetentionDuration(parsing: text)
            #expect(try RetentionDuration(parsing: d.description) == d)
        }
        #expect(RetentionDuration.hours(36).description == "1d12h")
    }
}

@Suite struct DeadlineTests {
    let sent = Instant(rfc3339: "2026-11-01T10:00:00+09:00")!

    static let expectedDays: [(MessageKind, Int64)] = [
        (.text, 365), (.sticker, 365), (.location, 365), (.image, 14), (.video, 14), (.audio, 14), (.file, 7), (.unknown, 7),
    ]

    @Test(arguments: expectedDays)
    func eachKindGetsItsWindow(_ kind: MessageKind, _ days: Int64) {
        for chat in ChatType.allCases {
            let deadline = RetentionPolicy.lineDefaults.deadline(sentAt: sent, kind: kind, chat: chat)
            #expect(deadline.milliseconds - sent.milliseconds == days * 86_400_000)
        }
    }

    @Test func anOverrideAppliesToItsChatTypeOnly() {
        let policy = RetentionPolicy(windows: [:], overrides: [.user: [.image: .days(365)], .room: [.file: .days(3)]],
                                     safetyMargin: .days(1))
        #expect(policy.deadline(sentAt: sent, kind: .image, chat: .user) == sent.adding(.days(365)))
        #expect(policy.deadline(sentAt: sent, kind: .image, chat: .group) == sent.adding(.days(14)))
        #expect(policy.deadline(sentAt: sent, kind: .file, chat: .room) == sent.adding(.days(3)))
        #expect(policy.deadline(sentAt: sent, kind: .file, chat: .user) == sent.adding(.days(7)))
        #expect(policy.fingerprint != RetentionPolicy.lineDefaults.fingerprint)
    }

    @Test func riskFollowsTheInjectedClock() {
        let policy = RetentionPolicy.lineDefaults // margin 2d
        let deadline = policy.deadline(sentAt: sent, kind: .file, chat: .user) // sent + 7d
        let clock = { (days: Double) in FixedClock(Instant(milliseconds: sent.milliseconds + Int64(days * 86_400_000))) }
        #expect(policy.risk(state: .contentDue, deadline: deadline, now: clock(4.9).now()) == .ok)
        #expect(policy.risk(state: .contentDue, deadline: deadline, now: clock(5).now()) == .atRisk)
        #expect(policy.risk(state: .downloaded, deadline: deadline, now: clock(6.99).now()) == .atRisk)
        #expect(policy.risk(state: .contentDue, deadline: deadline, now: clock(7).now()) == .overdue)
        #expect(policy.risk(state: .archived, deadline: deadline, now: clock(8).now()) == nil)
        #expect(policy.risk(state: .unsent, deadline: deadline, now: clock(8).now()) == nil)
        #expect(policy.risk(state: .lost, deadline: deadline, now: clock(8).now()) == nil)
    }

    @Test func instantsRoundTripThroughRFC3339() {
        #expect(sent.rfc3339(in: TimeZone(identifier: "Asia/Tokyo")!) == "2026-11-01T10:00:00.000+09:00")
        #expect(Instant(rfc3339: "2026-11-01T01:00:00.250Z")!.milliseconds == sent.milliseconds + 250)
        #expect(Instant(rfc3339: "yesterday") == nil)
    }
}

@Suite struct StateMachineTests {
    @Test func initialStatesDependOnContent() {
        #expect(MessageState.initial(kind: .text, unsent: false) == .received)
        #expect(MessageState.initial(kind: .sticker, unsent: false) == .received)
        #expect(MessageState.initial(kind: .unknown, unsent: false) == .received)
        #expect(MessageState.initial(kind: .image, unsent: false) == .contentDue)
        #expect(MessageState.initial(kind: .file, unsent: false) == .contentDue)
        #expect(MessageState.initial(kind: .file, unsent: true) == .unsent)
    }

    @Test func contentFlowsFromDueToArchived() {
        #expect(MessageState.contentDue.applying(.downloaded, kind: .image) == .downloaded)
        #expect(MessageState.downloaded.applying(.archived, kind: .image) == .archived)
        #expect(MessageState.contentDue.applying(.archived, kind: .image) == nil, "content must be downloaded first")
        #expect(MessageState.received.applying(.archived, kind: .text) == .archived)
        #expect(MessageState.received.applying(.archived, kind: .video) == nil)
    }

    @Test func lossAndUnsendAreTerminal() {
        #expect(MessageState.contentDue.applying(.lost(.expired), kind: .file) == .lost)
        #expect(MessageState.lost.applying(.downloaded, kind: .file) == nil)
        #expect(MessageState.lost.isTerminal && MessageState.unsent.isTerminal)
        for state in MessageState.allCases {
            #expect(state.applying(.unsent, kind: .image) == .unsent)
        }
        #expect(MessageState.unsent.applying(.downloaded, kind: .image) == nil)
        #expect(MessageState.unsent.applying(.edited, kind: .text) == nil)
        #expect(MessageState.archived.applying(.lost(.notFound), kind: .image) == nil)
    }

    @Test func anEditSendsAnArchivedMessageBackToBeArchivedAgain() {
        #expect(MessageState.archived.applying(.edited, kind: .text) == .received)
        #expect(MessageState.received.applying(.edited, kind: .text) == .received)
    }

    @Test func unknownLINETypesMapToUnknown() {
        #expect(MessageKind(lineType: "image") == .image)
        #expect(MessageKind(lineType: "hologram") == .unknown)
        #expect(MessageKind(lineType: "unknown") == .unknown)
        #expect(!MessageKind.unknown.hasContent)
    }
}

@Suite struct RFC3339Tests {
    /// The arithmetic formatter agrees with Foundation's, across zones, offsets and years.
    @Test func matchesFoundationsFormatter() {
        let zones = ["Asia/Tokyo", "UTC", "America/St_Johns", "Asia/Kolkata", "America/Los_Angeles", "Europe/London"].map { TimeZone(identifier: $0)! }
        var ms: Int64 = -86_400_000 * 400
        while ms < 4_102_444_800_000 {
            for zone in zones {
                let formatter = ISO8601DateFormatter()
                formatter.timeZone = zone
                formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
                let instant = Instant(milliseconds: ms)
                #expect(instant.rfc3339(in: zone) == formatter.string(from: instant.date), "\(ms) \(zone.identifier)")
            }
            ms += 7_777_777_777 + 123
        }
    }
}
