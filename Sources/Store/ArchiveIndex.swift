import ArchiveRecord
import TalkVaultDomain

/// A message ready to pack: the record it gets, and its staged download (relative to the data
/// dir), if any.
public struct ArchivableMessage: Sendable {
    public var record: ArchiveRecord
    public var stagedFile: String?

    public init(record: ArchiveRecord, stagedFile: String?) {
        self.record = record
        self.stagedFile = stagedFile
    }
}

/// One indexed segment.
public struct SegmentRow: Sendable, Equatable {
    public var seq: Int
    public var path: String
    public var createdAtMs: Int64
    public var bytes: Int64
    public var fileSHA256: String
    public var contentSHA256: String
    public var previousSHA256: String?
    public var entries: Int
    public var records: Int

    public init(seq: Int, path: String, createdAtMs: Int64, bytes: Int64, fileSHA256: String, contentSHA256: String,
                previousSHA256: String?, entries: Int, records: Int) {
        self.seq = seq
        self.path = path
        self.createdAtMs = createdAtMs
        self.bytes = bytes
        self.fileSHA256 = fileSHA256
        self.contentSHA256 = contentSHA256
        self.previousSHA256 = previousSHA256
        self.entries = entries
        self.records = records
    }
}

/// Where one part of a message is archived.
public struct ArchivedItem: Sendable, Equatable {
    public enum Part: String, Sendable { case record, content }
    public var messageId: String
    public var part: Part
    public var segmentSeq: Int
    public var entryName: String?
    public var memberOffset: Int64
    public var memberLength: Int64
    public var offsetInMember: Int64
    public var length: Int64
    public var sha256: String
    public var versionMs: Int64

    public init(messageId: String, part: Part, segmentSeq: Int, entryName: String?, memberOffset: Int64, memberLength: Int64,
                offsetInMember: Int64, length: Int64, sha256: String, versionMs: Int64) {
        self.messageId = messageId
        self.part = part
        self.segmentSeq = segmentSeq
        self.entryName = entryName
        self.memberOffset = memberOffset
        self.memberLength = memberLength
        self.offsetInMember = offsetInMember
        self.length = length
        self.sha256 = sha256
        self.versionMs = versionMs
    }
}

/// What a packed record says the message became: applied when its segment is indexed.
public struct PackedState: Sendable {
    public var messageId: String
    public var state: MessageState
    public var updatedAtMs: Int64

    public init(messageId: String, state: MessageState, updatedAtMs: Int64) {
        self.messageId = messageId
        self.state = state
        self.updatedAtMs = updatedAtMs
    }
}

/// Where a message's archived parts are, for restore.
public struct ArchivedParts: Sendable, Equatable {
    public var kind: MessageKind
    public var fileName: String?
    /// The content entry's segment path, entry name, and item location fields.
    public var content: (segment: String, entry: String, item: ArchivedItem)?
    public var record: (segment: String, item: ArchivedItem)?

    public static func == (a: ArchivedParts, b: ArchivedParts) -> Bool {
        a.kind == b.kind && a.fileName == b.fileName && a.content?.item == b.content?.item && a.record?.item == b.record?.item
    }

    public init(kind: MessageKind, fileName: String? = nil,
                content: (segment: String, entry: String, item: ArchivedItem)? = nil,
                record: (segment: String, item: ArchivedItem)? = nil) {
        self.kind = kind
        self.fileName = fileName
        self.content = content
        self.record = record
    }
}

/// A message's row as its archive record would hold it, for `verify --deep`.
public struct RecordedRow: Sendable {
    public var message: ArchiveRecord.Message
    /// Fields whose column holds a value no record can (written by hand): `message` holds a
    /// stand-in for each, and each differs from any record.
    public var unrecordable: Set<ArchiveRecord.Message.Field>

    public init(message: ArchiveRecord.Message, unrecordable: Set<ArchiveRecord.Message.Field>) {
        self.message = message
        self.unrecordable = unrecordable
    }
}

/// The archive index: what each segment holds and where, for pack, verify, restore and reindex.
public protocol ArchiveIndex: SegmentRewriteIndex {
    /// Messages whose record (and content) should go into the next segment, oldest first.
    func packCandidates(limit: Int) throws(LedgerError) -> [ArchivableMessage]
    /// The last segment of the chain, if any.
    func lastSegment() throws(LedgerError) -> SegmentRow?
    /// Every indexed segment, in chain order.
    func allSegments() throws(LedgerError) -> [SegmentRow]
    /// Indexes a published segment in one transaction: the segment, where each item is, and
    /// each message's new state (a message changed since it was packed keeps its newer state).
    /// `auditPacked`, when given, is the last audit-log entry the segment holds a copy of: kept
    /// in the same transaction, so the next pack copies the entries after it.
    func indexSegment(_ segment: SegmentRow, items: [ArchivedItem], states: [PackedState], auditPacked: AuditPackMark?,
                      at now: Instant) throws(LedgerError)
    /// The last audit-log entry a segment holds a copy of; nil before the first.
    func auditPackedThrough() throws(LedgerError) -> AuditPackMark?
    /// Every archived item, for checks against the manifests.
    func archivedItems(_ body: (ArchivedItem) throws -> Void) throws(LedgerError)
    /// Archived messages that lack a record or content location.
    func archivedWithoutItems() throws(LedgerError) -> [String]
    /// Forgets a staged file once it is deleted.
    func forgetStagedFile(id: String) throws(LedgerError)
    /// Staged files of messages whose content is already archived (a crash between indexing and deleting).
    func stagedFilesAlreadyArchived() throws(LedgerError) -> [(id: String, file: String)]
    /// The archived parts of message `id`; nil when the ledger does not know it.
    func archivedParts(id: String) throws(LedgerError) -> ArchivedParts?
    /// Where the ledger says one part of a message is archived; nil when it says nowhere.
    func archivedItem(messageId: String, part: ArchivedItem.Part) throws(LedgerError) -> ArchivedItem?
    /// Writes a message back from its archived record (for `reindex`).
    func restoreArchived(_ record: ArchiveRecord) throws(LedgerError)
    /// Message `id`'s row as its record would hold it; nil when the ledger has no row for it.
    func recordedRow(id: String) throws(LedgerError) -> RecordedRow?
    /// True when a message's text is neither its latest edit nor, without edits, its original.
    func textDisagreesWithEdits(id: String) throws(LedgerError) -> Bool
}

extension ArchiveIndex {
    /// Indexes a segment that holds no copy of audit entries.
    public func indexSegment(_ segment: SegmentRow, items: [ArchivedItem], states: [PackedState], at now: Instant) throws(LedgerError) {
        try indexSegment(segment, items: items, states: states, auditPacked: nil, at: now)
    }
}

/// The last audit-log entry packed into a segment: its number and hash, and where its line ends
/// in the log (a hint for the next pack; nil when recovered from a segment).
public struct AuditPackMark: Sendable, Equatable {
    public var seq: Int64
    public var hash: String
    public var end: UInt64?

    public init(seq: Int64, hash: String, end: UInt64?) {
        self.seq = seq
        self.hash = hash
        self.end = end
    }
}

/// A purge's rewrite of one segment: the file it replaced, the file that replaced it, and the
/// messages whose items left it.
public struct SegmentRewriteRow: Sendable, Equatable {
    public var seq: Int
    public var atMs: Int64
    public var oldPath: String
    public var oldSHA256: String
    public var newPath: String
    public var newSHA256: String
    public var removedMessages: [String]

    public init(seq: Int, atMs: Int64, oldPath: String, oldSHA256: String, newPath: String, newSHA256: String, removedMessages: [String]) {
        self.seq = seq
        self.atMs = atMs
        self.oldPath = oldPath
        self.oldSHA256 = oldSHA256
        self.newPath = newPath
        self.newSHA256 = newSHA256
        self.removedMessages = removedMessages
    }
}

/// Segment rewrites, for purge: a rewritten segment takes its place in the chain.
public protocol SegmentRewriteIndex {
    /// Indexes `segment` in place of the file `rewrite` replaced, in one transaction: the
    /// segment row, the new locations of the items it kept (`kept`; only rows that pointed
    /// into the replaced file move), the removed messages' items forgotten, the rewrite recorded.
    func indexRewrite(_ segment: SegmentRow, kept: [ArchivedItem], rewrite: SegmentRewriteRow) throws(LedgerError)
    /// Paths of files a rewrite replaced: one still on disk is left over from a crash, and goes.
    func replacedSegmentPaths() throws(LedgerError) -> Set<String>
}
