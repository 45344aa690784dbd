import Foundation
import TalkVaultDomain
import Testing

/// Instants anywhere in Int64's range are formatted, compared and weeked without trapping.
@Suite struct InstantExtremesTests {
    let zones = ["UTC", "Asia/Tokyo", "America/Los_Angeles", "Pacific/Kiritimati", "Pacific/Pago_Pago"].map { TimeZone(identifier: $0)! }

    @Test(arguments: [Int64.min, Int64.min + 1, -62_167_219_200_001, -1, 0, 253_402_300_800_000, 9_223_372_036_854_000_000, Int64.max])
    func formattingNeverTraps(_ ms: Int64) {
        for zone in zones {
            let text = Instant(milliseconds: ms).rfc3339(in: zone)
            #expect(text.count >= 24 && text.count <= 29, "\(text)")
            #expect(text.dropFirst(4).hasPrefix("-") && text.dropFirst(10).hasPrefix("T"), "\(text): four-digit year")
        }
    }

    @Test func anInstantPastTheFormattableRangeIsWrittenAsItsEnd() {
        let utc = TimeZone(identifier: "UTC")!, tokyo = TimeZone(identifier: "Asia/Tokyo")!
        #expect(Instant(milliseconds: .max).rfc3339(in: utc) == "9999-12-31T23:59:59.999Z")
        #expect(Instant(milliseconds: .min).rfc3339(in: utc) == "0000-01-01T00:00:00.000Z")
        #expect(Instant(milliseconds: Instant.formattable.upperBound).rfc3339(in: utc) == "9999-12-31T23:59:59.999Z")
        #expect(Instant(milliseconds: Instant.formattable.lowerBound).rfc3339(in: utc) == "0000-01-01T00:00:00.000Z")
        #expect(Instant(milliseconds: .max).rfc3339(in: tokyo) == "9999-12-31T23:59:59.999+09:00")
        #expect(Instant(milliseconds: .max).description == "9999-12-31T23:59:59.999Z")
        // Inside the range nothing changes.
        #expect(Instant(milliseconds: 1_790_000_000_000).rfc3339(in: tokyo) == "2026-09-21T23:13:20.000+09:00")
    }

    @Test func secondsBetweenExtremesSaturate() {
        let max = Instant(milliseconds: .max), min = Instant(milliseconds: .min)
        #expect(max.seconds(since: min) == Int64.max / 1000)
        #expect(min.seconds(since: max) == Int64.min / 1000)
        #expect(max.seconds(since: Instant(milliseconds: -1)) == Int64.max / 1000)
        #expect(Instant(milliseconds: 5_000).seconds(since: Instant(milliseconds: 2_000)) == 3)
    }

    @Test func aDateOutsideInt64MillisecondsSaturates() {
        #expect(Instant(Date(timeIntervalSince1970: 1e300)).milliseconds == .max)
        #expect(Instant(Date(timeIntervalSince1970: -1e300)).milliseconds == .min)
        #expect(Instant(Date(timeIntervalSince1970: .nan)).milliseconds == 0)
        #expect(Instant(Date(timeIntervalSince1970: 1.5)).milliseconds == 1_500)
    }

    @Test func weeksOfExtremeInstantsAreNamed() {
        for zone in zones {
            for ms in [Int64.min, -62_167_219_200_000, 253_402_300_799_999, Int64.max] {
                let week = ISOWeek.containing(Instant(milliseconds: ms), in: zone)
                #expect((1...9999).contains(week.year))
                _ = week.previous(in: zone)
                _ = week.bounds(in: zone)
            }
        }
    }

    @Test func statusTextOfExtremeDeadlinesRenders() {
        let item = StatusReport.DeadlineItem(messageId: "m", kind: "text", chatType: "user", chatId: "U", state: "received",
                                             sentAt: "x", deadline: "y", secondsLeft: Int64.min / 1000, risk: "overdue")
        let report = StatusReport(generatedAt: "now", timezone: "UTC",
                                  ledger: .init(path: "p", messages: 1, chats: 1, events: 1, redeliveredEvents: 0, conflictingEvents: 0,
                                                unknownEvents: 0, invalidEvents: 0, pendingUnsends: 0),
                                  messages: [:], nextDeadlines: [item], atRisk: .init(count: 1, overdue: 1, items: [item]),
                                  lost: .init(total: 0, byReason: [:], unsent: 0))
        #expect(report.renderText().contains(" ago"))
    }
}
