@testable import Export
import Foundation
@testable import Ledger
import Store
import TalkVaultDomain
import Testing
import LedgerTestSupport
import TestSupport

/// Each channel's week is a file of its own, named for the channel, and its manifest says so;
/// the implicit channel keeps the names of before channels.
@Suite struct ChannelExportTests {
    let w47 = ISOWeek(parsing: "2026-W47")!

    func exporter(_ h: ExportHarness, channel: String) -> Exporter {
        var settings = ExportSettings(exportDir: h.exportDir, timeZone: h.tokyo, toolVersion: "test")
        settings.channel = channel
        return Exporter(store: h.base.ledger.exportStore, settings: settings)
    }

    @Test func eachChannelExportsOnlyItsOwnMessagesToItsOwnFile() throws {
        let h = try ExportHarness()
        let at = h.ms("2026-11-17T10:00:00+09:00")
        _ = try h.base.capturer.capture([Webhook.body([Webhook.text("a1", "from A", eventId: "ea1", at: at),
                                                       Webhook.text("a2", "also A", eventId: "ea2", at: at + 1)])], channel: "shop-a")
        _ = try h.base.capturer.capture([Webhook.body([Webhook.text("b1", "from B", eventId: "eb1", at: at + 2)])], channel: "shop-b")
        _ = try h.base.capture(Webhook.body([Webhook.text("d1", "before channels", eventId: "ed1", at: at + 3)]))
        let readAt = Instant(milliseconds: at + 10)
        _ = try h.base.ledger.readState.markRead(ids: ["a1", "a2", "b1", "d1"], by: "sato", at: readAt)
        #expect(try h.base.ledger.exportStore.channelsWithMessages() == ["default", "shop-a", "shop-b"])

        let now = Instant(rfc3339: "2026-11-24T09:00:00+09:00")!
        let a = try exporter(h, channel: "shop-a").run(week: w47, force: nil, forced: false, now: now)
        let b = try exporter(h, channel: "shop-b").run(week: w47, force: nil, forced: false, now: now)
        let d = try exporter(h, channel: "default").run(week: w47, force: nil, forced: false, now: now)
        #expect((a.csvPath as NSString).lastPathComponent == "talkvault-shop-a-2026-W47.csv")
        #expect((b.csvPath as NSString).lastPathComponent == "talkvault-shop-b-2026-W47.csv")
        #expect((d.csvPath as NSString).lastPathComponent == "talkvault-2026-W47.csv")
        #expect((a.rows, b.rows, d.rows) == (2, 1, 1))
        let aRows = try h.rows(a.csvPath).joined(separator: "\n")
        #expect(aRows.contains("from A") && aRows.contains("also A") && !aRows.contains("from B") && !aRows.contains("before channels"))
        #expect(try h.rows(b.csvPath).joined().contains("from B"))

        let manifest = try JSONDecoder().decode(ExportManifest.self, from: Data(contentsOf: URL(fileURLWithPath: a.manifestPath)))
        #expect(manifest.channel == "shop-a" && manifest.rows == 2 && manifest.csv.file == "talkvault-shop-a-2026-W47.csv")
        // Each channel's week is delivered on its own: A again is unchanged, B's file stays B's.
        #expect(try exporter(h, channel: "shop-a").run(week: w47, force: nil, forced: false, now: now).alreadyDelivered)
        #expect(try h.base.ledger.exportStore.deliveredWeeks(profile: ExportKey.profile("full", channel: "shop-b"))["2026-W47"]?.rows == 1)
        #expect(try h.base.ledger.exportStore.deliveredWeeks(profile: "full")["2026-W47"]?.rows == 1, "default keeps the key of before")
    }

    @Test func fileNamesPerChannelAndProfile() {
        #expect(Exporter.fileStem(week: w47, channel: "default", profile: .full) == "talkvault-2026-W47")
        #expect(Exporter.fileStem(week: w47, channel: "default", profile: .line) == "talkvault-2026-W47-line")
        #expect(Exporter.fileStem(week: w47, channel: "shop-a", profile: .line) == "talkvault-shop-a-2026-W47-line")
    }
}
