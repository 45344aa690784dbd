/// One ledger's stores, one per concern, for the use cases that need several. A backend
/// (the SQLite `Ledger` today) hands out its stores this way; a use case that takes them never names it.
public struct Stores {
    public var capture: any CaptureStore
    public var contentQueue: any ContentQueue
    public var archiveIndex: any ArchiveIndex
    public var readState: any ReadStateStore
    public var exports: any ExportStore
    public var search: any SearchStore
    public var status: any StatusStore
    public var profiles: any ProfileStore
    public var inbox: any InboxStore

    public init(capture: any CaptureStore, contentQueue: any ContentQueue, archiveIndex: any ArchiveIndex,
                readState: any ReadStateStore, exports: any ExportStore, search: any SearchStore, status: any StatusStore,
                profiles: any ProfileStore, inbox: any InboxStore) {
        self.capture = capture
        self.contentQueue = contentQueue
        self.archiveIndex = archiveIndex
        self.readState = readState
        self.exports = exports
        self.search = search
        self.status = status
        self.profiles = profiles
        self.inbox = inbox
    }
}
