import TalkVaultDomain

/// A message whose content is due: what a sweep needs to fetch it.
public struct DueContent: Sendable, Equatable {
    public var id: String
    public var kind: MessageKind
    public var sentAt: Instant
    public var deadline: Instant
    /// `line` or `external`.
    public var provider: String
    /// `originalContentUrl` for external content.
    public var url: String?
    public var fileSize: Int64?
    /// The message's channel: its token downloads it, under its rate limit.
    public var channel: String

    public init(id: String, kind: MessageKind, sentAt: Instant, deadline: Instant, provider: String, url: String? = nil,
                fileSize: Int64? = nil, channel: String = ChannelName.implicit) {
        self.channel = channel
        self.id = id
        self.kind = kind
        self.sentAt = sentAt
        self.deadline = deadline
        self.provider = provider
        self.url = url
        self.fileSize = fileSize
    }
}

/// The content queue: what `sweep` downloads, earliest deadline first, and how each ends.
public protocol ContentQueue {
    /// Messages whose content is due, earliest deadline first (ties by send time, then id).
    /// `until` keeps those due by then; `kinds` narrows to some kinds.
    func dueContent(limit: Int?, kinds: Set<MessageKind>, until: Instant?) throws(LedgerError) -> [DueContent]
    /// `content_due → lost(reason)`; false when the message was no longer due.
    func markLost(id: String, reason: LossReason, at now: Instant, detail: String) throws(LedgerError) -> Bool
    /// LINE answered 410: unsent or expired, as `MessageState` decides; nil when nothing changed.
    func markGone(id: String, at now: Instant) throws(LedgerError) -> Transition?
    /// Notes a download attempt that will be retried, for `show`.
    func noteAttempt(id: String, at now: Instant, detail: String) throws(LedgerError)
    /// Records a verified download waiting in `stagedFile` (relative to the data dir): `content_due → downloaded`.
    func recordDownload(id: String, stagedFile: String, size: Int64, sha256: String, contentType: String?,
                        at now: Instant) throws(LedgerError)
    /// Puts a message whose staged file went bad back to `content_due`, to download again.
    func discardDownload(id: String, at now: Instant, reason: String) throws(LedgerError)
    /// Bytes of downloads waiting in the staging dir to be packed.
    func stagedBytes() throws(LedgerError) -> Int64
    /// Messages whose staged download waits to be packed.
    func downloadedIds() throws(LedgerError) -> Set<String>
}
