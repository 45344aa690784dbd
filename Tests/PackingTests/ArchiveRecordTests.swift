import Archive
import ArchiveRecord
import Crypto
import Foundation
import JSON
@testable import Ledger
@testable import Packing
import Store
import TalkVaultDomain
import Testing
import DurableFile
import LedgerTestSupport
import PackingTestSupport
import TestSupport

/// The archive record: its version-1 layout as segments already hold it, how each version is
/// read, and the document that describes it.
@Suite struct ArchiveRecordTests {
    static func fixtureRecords() throws -> [[UInt8]] {
        try RecordFixture.records(archiveDir: RecordFixture.archiveDir, segment: RecordFixture.segment)
    }

    static func fixtureRecord(_ id: String) throws -> (bytes: [UInt8], record: ArchiveRecord) {
        for bytes in try fixtureRecords() {
            let record = try RecordCodec.decode(bytes)
            if record.message.id == id { return (bytes, record) }
        }
        throw RecordError.notARecord
    }

    /// A fixture record's JSON, changed by `change`, as the bytes of one line.
    static func altered(_ id: String, _ change: (inout [String: JSONValue]) -> Void) throws -> [UInt8] {
        guard case .object(var root) = try JSONValue.parse(Data(try fixtureRecord(id).bytes)) else { throw RecordError.notARecord }
        change(&root)
        return Array(JSONValue.object(root).canonicalJSON().utf8)
    }

    static func setMember(_ object: String, _ key: String, _ value: JSONValue?) -> (inout [String: JSONValue]) -> Void {
        { root in
            guard case .object(var members)? = root[object] else { return }
            members[key] = value
            root[object] = .object(members)
        }
    }

    @Test func everyRecordOfTheFixtureIsWrittenAgainByteForByte() throws {
        let records = try Self.fixtureRecords()
        #expect(records.count == RecordFixture.messageIds.count)
        for bytes in records {
            let record = try RecordCodec.decode(bytes)
            #expect(record.version == 1)
            #expect(RecordCodec.encode(record) == bytes, "\(record.message.id)")
        }
    }

    @Test func theFixtureRecordsReadAsTypedFields() throws {
        let read = try Self.fixtureRecord("text-read").record
        #expect(read.message.kind == .text && read.message.chatType == .user && read.message.chatId == "Uyamada")
        #expect(read.message.state == .archived && read.message.origin == .message && !read.message.edited)
        #expect(read.message.sentAt == Instant(milliseconds: 1_790_000_000_000))
        #expect(read.message.capturedAt == LedgerHarness.now)
        #expect(read.message.updatedAt == RecordFixture.packedAt)
        #expect(read.message.readAt == Instant(milliseconds: LedgerHarness.now.milliseconds + 1_000) && read.message.readBy == "sato")
        #expect(read.message.text == "予約できますか?" && read.message.markAsReadToken == "tok-text-read")
        #expect(read.event.eventId == "01FIXTURE000000000000000001" && read.event.disposition == .message && !read.event.redelivered)
        #expect(read.event.destination == "Ubot")
        #expect(try JSONValue.parse(Data(read.event.body.utf8))["message"]?["text"]?.stringValue == "予約できますか?")
        #expect(read.edits.isEmpty && read.contentEntry == nil)

        let edited = try Self.fixtureRecord("text-edited").record
        #expect(edited.message.chatType == .group && edited.message.edited)
        #expect(edited.message.text == "明日 11 時で" && edited.message.originalText == "明日 10 時で")
        #expect(edited.edits.count == 1)
        #expect(edited.edits.first?.text == "明日 11 時で" && edited.edits.first?.editedAt == Instant(milliseconds: 1_790_000_060_000))
        #expect(edited.edits.first?.event.type == "messageEdited" && edited.edits.first?.event.disposition == .edit)

        let first = try Self.fixtureRecord("edit-first").record
        #expect(first.message.origin == .edit && first.event.type == "messageEdited")

        let unsent = try Self.fixtureRecord("text-unsent").record
        #expect(unsent.message.state == .unsent && unsent.message.unsentAt == Instant(milliseconds: 1_790_000_062_000))

        let lost = try Self.fixtureRecord("image-lost").record
        #expect(lost.message.kind == .image && lost.message.state == .lost && lost.message.reason == .expired)
        #expect(lost.message.contentProvider == "line" && lost.contentEntry == nil)

        let file = try Self.fixtureRecord("file-pdf").record
        #expect(file.contentEntry == "content/file-pdf/見積書.pdf")
        #expect(file.message.fileName == "見積書.pdf" && file.message.fileSize == Int64(RecordFixture.fileBytes.count))
        #expect(file.message.contentType == "application/pdf" && file.message.contentSize == Int64(RecordFixture.fileBytes.count))
        #expect(file.message.contentSHA256 == SHA256.hash(data: RecordFixture.fileBytes).map { String(format: "%02x", $0) }.joined())
    }

    @Test func theRecordWritesEveryFieldUnderItsName() throws {
        let bytes = RecordCodec.encode(try Self.fixtureRecord("text-edited").record)
        let root = try JSONValue.parse(Data(bytes))
        #expect(root.objectValue.map { $0.keys.sorted() } == ["content_entry", "edits", "event", "format", "message"])
        #expect(root["format"]?.stringValue == "talkvault-record/1", "a webhook message needs nothing of version 2")
        // Every field but those left out at their defaults: `channel`, and version 2's.
        let defaulted: Set<ArchiveRecord.Message.Field> = [.channel, .direction, .source, .senderName]
        #expect(root["message"]?.objectValue.map { $0.keys.sorted() } == ArchiveRecord.Message.Field.allCases.filter { !defaulted.contains($0) }.map(\.rawValue).sorted())
        var other = try Self.fixtureRecord("text-edited").record
        other.message.channel = "shop-a"
        let otherRoot = try JSONValue.parse(Data(RecordCodec.encode(other)))
        #expect(otherRoot["message"]?["channel"]?.stringValue == "shop-a")
        #expect(try RecordCodec.decode(RecordCodec.encode(other)).message.channel == "shop-a")
        #expect(try RecordCodec.decode(bytes).message.channel == "default")
        #expect(!bytes.contains(UInt8(ascii: "\n")))
    }

    /// An account's reply from a chat backup is version 2, so an older TalkVault refuses it
    /// rather than read it as the customer's; version 2 reads back whole.
    @Test func anImportedReplyIsVersionTwoAndReadsBack() throws {
        var reply = try Self.fixtureRecord("text-read").record
        reply.message.direction = .outgoing
        reply.message.source = .oaImport
        reply.message.senderName = "鈴木"
        let bytes = RecordCodec.encode(reply)
        let root = try JSONValue.parse(Data(bytes))
        #expect(root["format"]?.stringValue == "talkvault-record/2")
        #expect(root["message"]?["direction"]?.stringValue == "outgoing" && root["message"]?["source"]?.stringValue == "oa-import")
        var decoded = try RecordCodec.decode(bytes)
        #expect(decoded.version == 2)
        decoded.version = reply.version
        #expect(decoded == reply)
        var lost = try Self.fixtureRecord("image-lost").record
        lost.message.reason = .notCaptured
        #expect(try RecordCodec.decode(RecordCodec.encode(lost)).message.reason == .notCaptured)
        // A version-1 record does not hold version 2's members or values.
        #expect(try RecordCodec.decode(Self.altered("text-read", Self.setMember("message", "direction", .string("outgoing")))).message.direction == .incoming)
        #expect(throws: RecordError.unknownValue(field: "message.reason")) {
            try RecordCodec.decode(Self.altered("image-lost", Self.setMember("message", "reason", .string("not_captured"))))
        }
    }

    /// Records packed before the ledger kept read state have no `read_at_ms` and `read_by`.
    @Test func aRecordFromBeforeReadStateReadsAsUnread() throws {
        let original = try Self.fixtureRecord("text-read").record
        let old = try Self.altered("text-read") { root in
            Self.setMember("message", "read_at_ms", nil)(&root)
            Self.setMember("message", "read_by", nil)(&root)
        }
        var expected = original
        expected.message.readAt = nil
        expected.message.readBy = nil
        #expect(try RecordCodec.decode(old) == expected)
    }

    @Test func aMemberAVersionDoesNotDefineIsIgnored() throws {
        let original = try Self.fixtureRecord("text-read").record
        #expect(try RecordCodec.decode(Self.altered("text-read", Self.setMember("message", "mood", .string("x")))) == original)
        #expect(try RecordCodec.decode(Self.altered("text-read") { $0["note"] = .int(1) }) == original)
    }

    @Test func aRecordOfANewerVersionIsRefusedAsSuch() throws {
        let newer = try Self.altered("text-read") { $0["format"] = .string("talkvault-record/3") }
        let error = #expect(throws: RecordError.self) { try RecordCodec.decode(newer) }
        #expect(error == .newerVersion(3))
        #expect(error?.description == "record version 3, written by a newer TalkVault; upgrade to read it")
    }

    @Test func aRecordThatBreaksItsVersionNamesTheFieldNeverTheValue() throws {
        let cases: [(String, (inout [String: JSONValue]) -> Void, RecordError)] = [
            ("text-read", Self.setMember("message", "kind", nil), .missing(field: "message.kind")),
            ("text-read", Self.setMember("message", "state", .string("明日 shredded")), .unknownValue(field: "message.state")),
            ("text-read", Self.setMember("message", "sent_at_ms", .string("明日")), .wrongType(field: "message.sent_at_ms")),
            ("text-read", Self.setMember("message", "text", .int(5)), .wrongType(field: "message.text")),
            ("text-read", Self.setMember("message", "edited", .int(2)), .unknownValue(field: "message.edited")),
            ("text-read", Self.setMember("message", "id", .null), .missing(field: "message.id")),
            ("text-read", Self.setMember("event", "fingerprint", nil), .missing(field: "event.fingerprint")),
            ("text-read", { $0["event"] = nil }, .missing(field: "event")),
            ("text-read", { $0["edits"] = .string("明日") }, .wrongType(field: "edits")),
            ("text-edited", { root in
                guard case .array(var edits)? = root["edits"], case .object(var edit)? = edits.first,
                      case .object(var event)? = edit["event"] else { return }
                event["disposition"] = .string("明日")
                edit["event"] = .object(event)
                edits[0] = .object(edit)
                root["edits"] = .array(edits)
            }, .unknownValue(field: "edits[0].event.disposition")),
            ("text-read", { $0["format"] = .string("talkvault-record/01") }, .notARecord),
            ("text-read", { $0["format"] = nil }, .notARecord),
            ("text-read", { $0["format"] = .string("talkvault-record/0") }, .notARecord),
        ]
        for (id, change, expected) in cases {
            let error = #expect(throws: RecordError.self) { try RecordCodec.decode(Self.altered(id, change)) }
            #expect(error == expected)
            #expect(error.map { !"\($0)".contains("明日") } ?? false, "values are never shown: they may be chat text")
        }
        #expect(throws: RecordError.notJSON(offset: 0)) { try RecordCodec.decode(Array("明日".utf8)) }
        #expect(throws: RecordError.notARecord) { try RecordCodec.decode(Array("[1]".utf8)) }
    }

    /// `reindex` names a record it cannot read, with why, and goes on with the other segments.
    @Test func reindexNamesARecordOfANewerVersionAndItsSegment() throws {
        let dir = TempDir()
        let archive = dir.file("archive")
        try FileManager.default.copyItem(atPath: RecordFixture.archiveDir, toPath: archive)
        let kept = try SegmentReader.manifest(segment: RecordFixture.segment, archiveDir: archive)
        let (fileSHA, _) = try SegmentReader.fileSHA256(archive + "/" + RecordFixture.segment)
        let relative = "2026/11/23/talkvault-2026-11-23-0001.tar.gz"
        try Durable.makeDirectories(archive + "/2026/11/23")
        let writer = try SegmentWriter(directory: archive + "/2026/11/23", relativePath: relative, sequence: kept.sequence + 1,
                                       createdAtMs: RecordFixture.packedAt.milliseconds + 86_400_000,
                                       previous: Manifest.ChainLink(segment: RecordFixture.segment, sha256: fileSHA),
                                       settings: .init(toolVersion: "test"))
        try writer.addRecord(messageId: "text-read", json: try Self.altered("text-read") { $0["format"] = .string("talkvault-record/3") })
        _ = try writer.finish()
        try Durable.publish(temporary: writer.temporaryPath, final: archive + "/" + relative)

        let ledger = try Ledger.opened(path: dir.file("ledger.sqlite3"), policy: .lineDefaults)
        let report = try Reindexer(archiveDir: archive).run(into: ledger.archiveIndex, now: RecordFixture.packedAt)
        #expect(report.segments == 1)
        #expect(report.problems == ["\(relative): the record of message at member 0 offset 512 cannot be decoded "
                                    + "(record version 3, written by a newer TalkVault; upgrade to read it)"])
        let deep = try Verifier(archiveDir: archive, index: ledger.archiveIndex, deep: true).run()
        // The segment reindex could not read stays out of the index, and its record is named.
        #expect(deep.problems == [
            "\(relative): not in the ledger's index (run `talkvault pack` to index it, or `talkvault reindex`)",
            "\(relative): the record at 0+512 is not a message record (record version 3, written by a newer TalkVault; upgrade to read it)",
        ])
    }

    /// Every field and every value of an enumerated field is in docs/archive-record.md; a new
    /// one is a new record version, and the document says so.
    @Test func theDocumentNamesEveryFieldAndEveryValue() throws {
        let doc = try String(contentsOfFile: "\(Fixtures.packageRoot)/docs/archive-record.md", encoding: .utf8)
        let rows = doc.split(separator: "\n").map(String.init).filter { $0.hasPrefix("| `") }
        func row(_ member: String) -> String? { rows.first { $0.hasPrefix("| `\(member)` |") } }
        let members = ["format", "message", "event", "edits", "content_entry"] + ArchiveRecord.Message.Field.allCases.map(\.rawValue)
            + ["event_id", "type", "timestamp_ms", "received_at_ms", "mode", "destination", "redelivered", "disposition",
               "invalid_reason", "fingerprint", "body", "message_id", "edited_at_ms"]
        for member in members { #expect(row(member) != nil, "\(member) is not described") }
        let enumerated: [(String, [String])] = [
            ("kind", MessageKind.allCases.map(\.rawValue)), ("chat_type", ChatType.allCases.map(\.rawValue)),
            ("state", MessageState.allCases.map(\.rawValue)), ("reason", LossReason.allCases.map(\.rawValue)),
            ("origin", ArchiveRecord.Origin.allCases.map(\.rawValue)),
            ("disposition", ArchiveRecord.Event.Disposition.allCases.map(\.rawValue)),
            ("direction", MessageDirection.allCases.map(\.rawValue)), ("source", MessageSource.allCases.map(\.rawValue)),
        ]
        for (member, values) in enumerated {
            for value in values { #expect(row(member)?.contains("`\(value)`") == true, "\(member) \(value) is not described") }
        }
        #expect(doc.contains("| \(ArchiveRecord.currentVersion) | "))
        #expect(doc.contains("[archive-format.md](archive-format.md)"))
    }
}
