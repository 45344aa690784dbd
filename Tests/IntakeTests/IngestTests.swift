import Intake
import Foundation
import Ledger
import Store
import TalkVaultDomain
import Testing
import LedgerTestSupport
import TestSupport

@Suite struct IngestTests {
    let base: Int64 = 1_790_000_000_000

    func ingest(_ content: String, batchSize: Int = 500) throws -> (IngestReport, LedgerHarness) {
        let harness = try LedgerHarness()
        let path = harness.dir.write("input.jsonl", content)
        var report = IngestReport()
        try Ingester(capturer: harness.capturer, batchSize: batchSize).ingest(path: path, into: &report)
        return (report, harness)
    }

    func line(_ events: [[String: Any]]) -> String { String(decoding: Webhook.body(events), as: UTF8.self) }

    @Test func aPrettyPrintedDocumentIsOneBody() throws {
        let content = try String(contentsOfFile: Fixtures.conformanceWebhook, encoding: .utf8)
        let (report, _) = try ingest(content)
        #expect(report.bodiesRead == 1)
        #expect(report.bodiesStored == 1)
        #expect(report.counts.eventsRead == 27)
        #expect(report.rejected.isEmpty)
    }

    @Test func aMalformedLineRejectsOnlyItselfAndIsNamed() throws {
        let content = [
            line([Webhook.text("m1", "one", eventId: "e1", at: base)]),
            "{\"events\": [ this is not json",
            "",
            line([Webhook.text("m2", "two", eventId: "e2", at: base)]) + "\r",
            "[]",
        ].joined(separator: "\n") + "\n"
        let (report, harness) = try ingest(content)
        #expect(report.bodiesRead == 4)
        #expect(report.bodiesStored == 2)
        #expect(report.rejected.map(\.line) == [2, 5])
        #expect(report.rejected[0].reason.hasPrefix("malformed JSON"))
        #expect(report.rejected[1].reason == "the body is not a JSON object")
        #expect(try harness.ledger.searchStore.message(id: "m2")?.text == "two")
    }

    @Test func aBrokenFirstLineDoesNotSinkTheRest() throws {
        let content = "{oops\n" + line([Webhook.text("m1", "one", eventId: "e1", at: base)]) + "\n"
            + line([Webhook.text("m2", "two", eventId: "e2", at: base)]) + "\n"
        let (report, _) = try ingest(content)
        #expect(report.bodiesStored == 2)
        #expect(report.rejected.map(\.line) == [1])
    }

    @Test func aBrokenPrettyDocumentIsOneRejection() throws {
        let content = "{\n  \"destination\": \"U1\",\n  \"events\": [\n    {\"type\": \"message\"\n"
        let (report, _) = try ingest(content)
        #expect(report.bodiesRead == 1)
        #expect(report.rejected.map(\.line) == [1])
    }

    @Test func manyLinesAreCommittedInBatches() throws {
        let lines = (0..<1_234).map { line([Webhook.text("m\($0)", "本文 \($0)", eventId: "e\($0)", at: base + Int64($0))]) }
        let (report, harness) = try ingest(lines.joined(separator: "\n"), batchSize: 100)
        #expect(report.bodiesStored == 1_234)
        #expect(report.counts.newMessages == 1_234)
        #expect(try harness.status().ledger.messages == 1_234)
    }

    @Test func aMissingFileIsAClearError() throws {
        let harness = try LedgerHarness()
        var report = IngestReport()
        #expect {
            try Ingester(capturer: harness.capturer).ingest(path: harness.dir.file("nope.jsonl"), into: &report)
        } throws: { error in
            guard case IngestError.unreadable(_, let reason) = error else { return false }
            return reason.contains("No such file")
        }
    }
}
