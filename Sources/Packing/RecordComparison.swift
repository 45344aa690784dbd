import Archive
import ArchiveRecord
import Store
import TalkVaultDomain

/// `verify --deep`: each archived record against the ledger row it must agree with. The
/// record the ledger indexes for a message is its newest (a message changed after archiving is
/// packed again into a later segment, and the newest record wins, as in `reindex`); older
/// records are history and are not compared.
///
/// Which fields must agree depends on whether the row changed since (`waitsForRepack`):
/// - it did not: every field the record froze, except those that change without a new version
///   (the deadline, recomputed when the policy changes; the read state, which LINE's auto mode
///   sets in place);
/// - it did (edited, unsent or read since, waiting for the next pack): what no later change can
///   touch. That is the content's identity and when it was captured; and, once the record holds
///   the message's own event (origin `message`), everything that event defined: who sent what,
///   where and when. Its current text must then be the latest of its edits, or the original.
struct RecordComparison {
    typealias Field = ArchiveRecord.Message.Field

    /// Fields the row keeps from the moment its record was packed, whatever happens later.
    static let fixedFields: [Field] = [.capturedAt, .contentType, .contentSize, .contentSHA256]
    /// Fields the message's own event defines: once a record holds that event (origin
    /// `message`), nothing later changes them. (An edit that came first made the row; the
    /// original then fills these in once, and the record before that has origin `edit`.)
    static let eventFields: [Field] = [.kind, .lineType, .chatType, .chatId, .senderId, .sentAt, .originalText,
                                       .contentProvider, .contentURL, .fileName, .fileSize, .markAsReadToken, .origin]
    /// Fields a later change (an edit, an unsend, the original of an edit-first message, a read
    /// that is packed again) moves on together with `updated_at_ms`.
    static let versionedFields: [Field] = [.kind, .lineType, .chatType, .chatId, .senderId, .sentAt, .state, .reason, .text,
                                           .originalText, .contentProvider, .contentURL, .fileName, .fileSize, .markAsReadToken,
                                           .origin, .edited, .unsentAt, .updatedAt]
    /// Differences named one by one; the rest are counted.
    static let namedLimit = 100

    let index: any ArchiveIndex
    /// The file the ledger indexed at each chain position: a record is the one the ledger
    /// indexes only in that file (not in a copy of it).
    let indexedPaths: [Int: String]
    private(set) var compared = 0
    private(set) var named: [String] = []
    private(set) var unnamed = 0

    init(index: any ArchiveIndex) throws(LedgerError) {
        self.index = index
        indexedPaths = Dictionary(try index.allSegments().map { ($0.seq, $0.path) }, uniquingKeysWith: { first, _ in first })
    }

    /// The problems found, bounded: the first `namedLimit`, then how many more.
    var problems: [String] {
        named + (unnamed > 0 ? ["… and \(unnamed) more archived records differ from the ledger"] : [])
    }

    /// Compares the record at `location` (segment left empty) of the segment file `path`.
    mutating func check(_ bytes: [UInt8], at location: ItemLocation, sequence: Int, path: String) throws(LedgerError) {
        let record: ArchiveRecord.Message
        do { record = try RecordCodec.decode(bytes).message } catch {
            add("\(path): the record at \(location.memberOffset)+\(location.offsetInMember) is not a message record (\(error))")
            return
        }
        let id = record.id
        let row = try index.recordedRow(id: id)
        guard let item = try index.archivedItem(messageId: id, part: .record) else {
            if row == nil {
                add("message \(id): its record is in \(path), but the ledger has no row for it (deleted?)")
            } else if row?.message.state != .archived {
                // An archived row without a location is named by the ledger check already.
                add("message \(id): its record is in \(path), but the ledger has no archive location for it")
            }
            return
        }
        // The ledger holds another record of this message: this one is older, or a copy.
        guard indexedPaths[item.segmentSeq] == path, item.segmentSeq == sequence, UInt64(item.memberOffset) == location.memberOffset,
              UInt64(item.offsetInMember) == location.offsetInMember, UInt64(item.length) == location.length else { return }
        compared += 1
        guard let row else {
            add("message \(id): the ledger has no row for it, but indexes its record in \(path) (the row was deleted)")
            return
        }
        var differing = Self.differences(record: record, row: row).map(\.rawValue)
        if Self.waitsForRepack(row: row.message, record: record), try index.textDisagreesWithEdits(id: id) {
            differing.append("text (not its latest edit nor its original)")
        }
        if !differing.isEmpty {
            add("message \(id): \(differing.joined(separator: ", ")) \(differing.count == 1 ? "differs" : "differ") "
                + "between the ledger and its record in \(path)")
        }
    }

    /// The fields that must agree and do not. Values are never shown: they may be chat text.
    /// (Every record version holds every field compared here: only `read_at_ms` and `read_by`,
    /// which are not compared, are absent from records written before the ledger kept read state.)
    static func differences(record: ArchiveRecord.Message, row: RecordedRow) -> [Field] {
        var fields = fixedFields
        if !waitsForRepack(row: row.message, record: record) {
            fields += versionedFields
        } else if record.origin == .message {
            fields += eventFields
        }
        return Set(fields.filter { row.unrecordable.contains($0) || !record.same($0, as: row.message) }).sorted()
    }

    /// True when the row changed since `record` and the next pack archives it again, by the
    /// rule the packer picks its candidates with: a newer version, or a state that is not final
    /// (an archived text edited goes back to `received`, in the same instant it may have been packed).
    static func waitsForRepack(row: ArchiveRecord.Message, record: ArchiveRecord.Message) -> Bool {
        guard [MessageState.archived, .lost, .unsent].contains(row.state) else { return true }
        return row.updatedAt > record.updatedAt
    }

    private mutating func add(_ problem: String) {
        if named.count < Self.namedLimit { named.append(problem) } else { unnamed += 1 }
    }
}
