import Foundation
import Packing
import Purging

/// `purge` and `erase` reports, as text and as JSON.
struct PurgeSummary: Encodable {
    struct Rule: Encodable {
        var rule: String
        var messages: Int
        var bytes: Int64
    }

    struct Hold: Encodable {
        var hold: String
        var messages: Int
        var bytes: Int64
    }

    struct Rewrite: Encodable {
        var old: String
        var new: String
        var oldBytes: UInt64
        var newBytes: UInt64
        var removedItems: Int

        enum CodingKeys: String, CodingKey {
            case old, new
            case oldBytes = "old_bytes", newBytes = "new_bytes", removedItems = "removed_items"
        }
    }

    var dryRun: Bool
    var messages: Int
    var bytes: Int64
    var rules: [Rule]
    var heldBack: [Hold]
    var exports: [String]
    /// Delivered exports past their rule that a hold keeps.
    var exportsHeld: [HeldExport]

    struct HeldExport: Encodable {
        var hold: String
        var export: String
    }
    /// Messages an interrupted purge decided, finished by this run.
    var unfinished: Int
    var rewrites: [Rewrite]
    var stagedRemoved: Int
    var exportsRemoved: [String]
    var walTruncated: Bool?
    var exportRowsRedacted: Int
    /// Messages whose delivered export row was not found as it would be written now.
    var exportRowsNotFound: [String]
    /// Decisions withdrawn because a hold placed since covers them.
    var withdrawnForHolds: Int
    var inboxBodiesCleared: Int

    init(plan: PurgePlan, unfinished: Int, report: PurgeReport?) {
        dryRun = report == nil
        messages = plan.messages
        bytes = plan.bytes
        rules = plan.byRule.sorted { $0.key < $1.key }.map { Rule(rule: $0.key, messages: $0.value.messages, bytes: $0.value.bytes) }
        heldBack = plan.heldBack.sorted { $0.key < $1.key }.map { Hold(hold: $0.key, messages: $0.value.messages, bytes: $0.value.bytes) }
        exports = plan.exports.map(\.file.path)
        exportsHeld = plan.exportsHeld.map { HeldExport(hold: $0.hold, export: $0.file.path) }
        self.unfinished = unfinished
        rewrites = report?.rewrites.map { Rewrite(old: $0.oldPath, new: $0.newPath, oldBytes: $0.oldBytes, newBytes: $0.newBytes, removedItems: $0.removed.count) } ?? []
        stagedRemoved = report?.stagedRemoved ?? 0
        exportsRemoved = report?.exportsRemoved ?? []
        walTruncated = report?.walTruncated
        exportRowsRedacted = report?.exports.rows ?? 0
        exportRowsNotFound = report?.exports.notFound ?? []
        withdrawnForHolds = report?.withdrawnForHolds ?? 0
        inboxBodiesCleared = report?.inbox.records ?? 0
    }

    enum CodingKeys: String, CodingKey {
        case messages, bytes, rules, exports, unfinished, rewrites
        case dryRun = "dry_run", heldBack = "held_back", stagedRemoved = "staged_removed", exportsRemoved = "exports_removed",
             walTruncated = "wal_truncated", exportRowsRedacted = "export_rows_redacted",
             exportRowsNotFound = "export_rows_not_found", exportsHeld = "exports_held", withdrawnForHolds = "withdrawn_for_holds", inboxBodiesCleared = "inbox_bodies_cleared"
    }

    var text: String {
        var out = dryRun ? "dry run: nothing was changed\n" : ""
        let verb = dryRun ? "would remove" : "removed"
        out += messages == 0 ? "nothing is due\n" : "\(verb) \(messages) messages (\(bytes) bytes of content):\n"
        for rule in rules { out += "  \(pad(rule.rule)) \(rule.messages) messages, \(rule.bytes) bytes\n" }
        if unfinished > 0 { out += dryRun ? "an interrupted purge left \(unfinished) messages decided; the next purge finishes them\n"
                                          : "finished \(unfinished) messages an interrupted purge had decided\n" }
        if !heldBack.isEmpty {
            out += "kept back by holds:\n"
            for hold in heldBack { out += "  \(pad(hold.hold)) \(hold.messages) messages, \(hold.bytes) bytes\n" }
        }
        for held in exportsHeld { out += "delivered export \(held.export) kept by the hold \(held.hold)\n" }
        if !exports.isEmpty {
            out += "delivered exports past keep.exports (\(dryRun ? "would go" : "removed")):\n"
            for export in exports { out += "  \(export)\n" }
        }
        for rewrite in rewrites {
            out += "rewrote \(rewrite.old) as \(rewrite.new): \(rewrite.removedItems) items out, \(rewrite.oldBytes) → \(rewrite.newBytes) bytes\n"
        }
        if stagedRemoved > 0 { out += "removed \(stagedRemoved) staged downloads\n" }
        if exportRowsRedacted > 0 { out += "took \(exportRowsRedacted) rows out of delivered exports\n" }
        if !exportRowsNotFound.isEmpty {
            out += "not found in a delivered export as it would be written now (look at it): \(exportRowsNotFound.joined(separator: ", "))\n"
        }
        if withdrawnForHolds > 0 { out += "kept \(withdrawnForHolds) messages a hold placed since the decision covers\n" }
        if inboxBodiesCleared > 0 { out += "cleared \(inboxBodiesCleared) applied bodies from the inbox log\n" }
        return out
    }

    /// To standard output, as JSON or as text.
    func print(json: Bool) throws {
        if json { try printJSON(self) } else { Swift.print(text, terminator: "") }
    }

    private func pad(_ text: String) -> String { text.count >= 28 ? text : text + String(repeating: " ", count: 28 - text.count) }
}
