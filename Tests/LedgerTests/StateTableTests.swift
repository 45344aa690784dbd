import Foundation
import Intake
import LedgerTestSupport
@testable import Ledger
import Store
import TalkVaultDomain
import Testing
import TestSupport

/// The state machine has one source of truth, `MessageState.table`: the ledger is driven
/// through every transition from every state, and must do exactly what the table says.
@Suite struct StateTableTests {
    static let sentAt = LedgerHarness.now.milliseconds - 60_000

    /// A concrete transition for a name in the table.
    static func transition(_ name: Transition.Name) -> Transition {
        switch name {
        case .downloaded: return .downloaded
        case .discarded: return .discarded
        case .archived: return .archived
        case .lost: return .lost(.notFound)
        case .unsent: return .unsent
        case .edited: return .edited
        }
    }

    /// Puts message m1 of `kind` in `state`, has the ledger apply `name` as the product does,
    /// and returns the state the ledger ends with.
    static func drive(_ name: Transition.Name, from state: MessageState, kind: MessageKind) throws -> MessageState {
        let h = try LedgerHarness()
        let event = kind == .text ? Webhook.text("m1", "hello", eventId: "e1", at: sentAt)
                                  : Webhook.media("m1", type: kind.rawValue, eventId: "e1", at: sentAt)
        try h.capture(Webhook.body([event]))
        try h.ledger.db.run("UPDATE messages SET state = ?1, reason = CASE WHEN ?1 = 'lost' THEN 'not_found' END WHERE id = 'm1'",
                               [.text(state.rawValue)])
        let now = LedgerHarness.now
        switch name {
        case .downloaded:
            try h.ledger.contentQueue.recordDownload(id: "m1", stagedFile: "staging/m1", size: 1, sha256: "00", contentType: nil, at: now)
        case .discarded:
            try h.ledger.contentQueue.discardDownload(id: "m1", at: now, reason: "the staged file changed")
        case .lost:
            _ = try h.ledger.contentQueue.markLost(id: "m1", reason: .notFound, at: now, detail: "404")
        case .unsent:
            try h.capture(Webhook.body([Webhook.unsend("m1", eventId: "e2", at: sentAt + 1)]))
        case .edited:
            try h.capture(Webhook.body([Webhook.edit("m1", "changed", eventId: "e3", at: sentAt + 2, source: Webhook.source())]))
        case .archived:
            // The packer decides the state it packs a message in; the ledger's part is which
            // states it lets a pack change.
            let packed = state.applying(.archived, kind: kind) ?? .archived
            let segment = SegmentRow(seq: 1, path: "2026/11/seg.tar.gz", createdAtMs: now.milliseconds, bytes: 0, fileSHA256: "00",
                                     contentSHA256: "00", previousSHA256: nil, entries: 0, records: 0)
            try h.ledger.archiveIndex.indexSegment(segment, items: [],
                                                   states: [PackedState(messageId: "m1", state: packed, updatedAtMs: now.milliseconds + 1)],
                                                   at: now)
        }
        return try #require(try h.ledger.searchStore.message(id: "m1")).state
    }

    @Test(arguments: Transition.Name.allCases)
    func theLedgerDoesWhatTheTableSaysFromEveryState(_ name: Transition.Name) throws {
        // Content transitions on an image; packing and editing on a text, whose record is all there is.
        let kinds: [MessageKind] = switch name {
        case .downloaded, .discarded, .lost: [.image]
        case .archived, .edited: [.text]
        case .unsent: [.text, .image]
        }
        for kind in kinds {
            for state in MessageState.allCases {
                let expected = state.applying(Self.transition(name), kind: kind) ?? state
                #expect(try Self.drive(name, from: state, kind: kind) == expected, "\(name) from \(state) (\(kind.rawValue))")
            }
        }
    }

    /// A 410 ends in `unsent` or `lost`: it may change only what both may start from.
    @Test func a410ChangesOnlyWhatBothItsOutcomesMayStartFrom() throws {
        let allowed = Set(MessageState.sources(of: .unsent)).intersection(MessageState.sources(of: .lost))
        #expect(allowed == [.contentDue])
        for state in MessageState.allCases {
            let h = try LedgerHarness()
            try h.capture(Webhook.body([Webhook.media("m1", type: "image", eventId: "e1", at: Self.sentAt)]))
            try h.ledger.db.run("UPDATE messages SET state = ?1, reason = CASE WHEN ?1 = 'lost' THEN 'not_found' END WHERE id = 'm1'",
                               [.text(state.rawValue)])
            let verdict = try h.ledger.contentQueue.markGone(id: "m1", at: LedgerHarness.now)
            #expect((verdict != nil) == allowed.contains(state), "410 from \(state)")
        }
    }

    /// docs/state-machine.md lists the table as the code has it.
    @Test func theDocumentListsTheTable() throws {
        let doc = try String(contentsOfFile: Fixtures.packageRoot + "/docs/state-machine.md", encoding: .utf8)
        let rows = MessageState.table.map { rule in
            "| `\(rule.transition.rawValue)` | `\(rule.from.rawValue)` | `\(rule.to.rawValue)`"
                + (rule.onlyWithoutContentDue ? " (no content due)" : "") + " |"
        }
        let table = (["| transition | from | to |", "|---|---|---|"] + rows).joined(separator: "\n")
        #expect(doc.contains(table), "expected in docs/state-machine.md:\n\(table)")
    }
}
