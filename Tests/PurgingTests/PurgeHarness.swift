import Foundation
import Gzip
@testable import Ledger
import LedgerTestSupport
@testable import Packing
import PackingTestSupport
@testable import Purging
import Store
import TalkVaultDomain
import Testing
import TestSupport

/// A packed store whose old messages carry unique words, so a test can search every byte
/// under the data dir for them.
struct PurgeHarness {
    var pack: PackHarness
    var ledger: Ledger { pack.ledger }
    var dataDir: String { pack.base.dir.path }
    static let old: Int64 = 1_780_000_000_000
    static let recent: Int64 = 1_790_000_000_000
    /// Ten days after the recent messages: the old ones are past a 30-day keep, the recent ones not.
    static let now = Instant(milliseconds: recent + 10 * 86_400_000)

    /// Old texts `oldN` saying `SECRET-oldN`, one of them edited after its first pack (so an
    /// older record of it stays in the first segment), in two segments, plus the media and
    /// texts `PackHarness.fill` makes, sent recently.
    init(oldTexts: Int = 6) throws {
        pack = try PackHarness()
        var events: [[String: Any]] = []
        for n in 0..<oldTexts {
            events.append(Webhook.text("old\(n)", "SECRET-old\(n)-本文", eventId: "oe\(n)", at: Self.old + Int64(n),
                                       source: Webhook.source(user: "Uold\(n % 2)")))
        }
        try pack.base.capture(Webhook.body(events))
        try pack.fill(texts: 12, at: Self.recent)
        _ = try pack.packer(at: Instant(milliseconds: Self.recent + 86_400_000)).pack()
        try pack.base.capture(Webhook.body([Webhook.edit("old0", "SECRET-old0-edited", eventId: "oe-edit", at: Self.old + 10_000,
                                                         source: Webhook.source(user: "Uold0"))]))
        _ = try pack.packer(at: Instant(milliseconds: Self.recent + 2 * 86_400_000)).pack()
    }

    var settings: PurgeSettings {
        PurgeSettings(dataDir: dataDir, archiveDir: pack.archiveDir, exportDir: pack.base.dir.file("exports"),
                      timeZone: TimeZone(identifier: "Asia/Tokyo")!, segment: .init(memberTarget: 32 * 1024, toolVersion: "test"))
    }

    func purger(disk: any DiskSpace = SystemDiskSpace()) -> Purger {
        Purger(purge: ledger.purgeStore, index: ledger.archiveIndex, settings: settings, disk: disk)
    }

    /// `keep.text: 30d`, everything else forever.
    static let rules = KeepRules(kinds: [.text: .span(.days(30))])

    /// Plans and executes as `talkvault purge` does: recovery first.
    func purge(rules: KeepRules = rules, holds: [LegalHold] = [], afterStep: @escaping (PurgeStep) throws -> Void = { _ in }) throws -> PurgeReport {
        _ = try pack.packer(at: Self.now).recover()
        let purger = purger()
        purger.afterStep = afterStep
        return try purger.execute(try purger.plan(rules: rules, holds: holds, now: Self.now), holds: holds, now: Self.now)
    }

    /// Every file under the data dir whose bytes (a segment's inflated, every member) contain `needle`.
    func filesHolding(_ needle: String) throws -> [String] {
        let wanted = Array(needle.utf8)
        var found: [String] = []
        let walker = FileManager.default.enumerator(atPath: dataDir)!
        while let relative = walker.nextObject() as? String {
            let path = dataDir + "/" + relative
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            if path.hasSuffix(".tar.gz") {
                var inflated: [UInt8] = []
                let reader = try GzipReader { inflated.append(contentsOf: $0) }
                try reader.feed(bytes)
                try reader.finish()
                bytes = inflated
            }
            if Self.contains(bytes, wanted) { found.append(relative) }
        }
        return found
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard let first = needle.first, haystack.count >= needle.count else { return false }
        var index = 0
        while index <= haystack.count - needle.count {
            if haystack[index] == first && Array(haystack[index..<(index + needle.count)]) == needle { return true }
            index += 1
        }
        return false
    }
}

/// Free space as a test says.
struct FakeDisk: DiskSpace {
    var available: Int64
    func availableBytes(at path: String) -> Int64? { available }
}
