import SQLiteDB
import Store
import TalkVaultDomain

/// One concern's view of the ledger: a store of the `Store` module, on the ledger's one
/// connection. Each is a value that only names the connection; the state lives in `Ledger`.
protocol LedgerPart {
    var ledger: Ledger { get }
}

extension LedgerPart {
    var db: Database { ledger.db }
    var path: String { ledger.path }
    var policy: RetentionPolicy { ledger.policy }
    var synchronous: Synchronous { ledger.synchronous }
    var ledgerSchema: String { ledger.ledgerSchema }

    func transaction<T>(_ body: () throws -> T) throws(LedgerError) -> T { try ledger.transaction(body) }
    func setMeta(_ key: String, _ value: String) throws { try ledger.setMeta(key, value) }
}

/// Capture on the SQLite ledger.
public struct LedgerCapture: CaptureStore, LedgerPart { let ledger: Ledger }
/// The content queue on the SQLite ledger.
public struct LedgerContentQueue: ContentQueue, LedgerPart { let ledger: Ledger }
/// The archive index on the SQLite ledger.
public struct LedgerArchiveIndex: ArchiveIndex, LedgerPart { let ledger: Ledger }
/// Read state on the SQLite ledger.
public struct LedgerReadState: ReadStateStore, LedgerPart { let ledger: Ledger }
/// The export queries on the SQLite ledger.
public struct LedgerExports: ExportStore, LedgerPart { let ledger: Ledger }
/// Lookup and the search index on the SQLite ledger.
public struct LedgerSearch: SearchStore, LedgerPart { let ledger: Ledger }
/// The status queries on the SQLite ledger.
public struct LedgerStatus: StatusStore, LedgerPart { let ledger: Ledger }
/// Display names on the SQLite ledger.
public struct LedgerProfiles: ProfileStore, LedgerPart { let ledger: Ledger }
/// The inbox's applied position and problems on the SQLite ledger.
public struct LedgerInbox: InboxStore, LedgerPart { let ledger: Ledger }

extension Ledger {
    public var captureStore: LedgerCapture { LedgerCapture(ledger: self) }
    public var contentQueue: LedgerContentQueue { LedgerContentQueue(ledger: self) }
    public var archiveIndex: LedgerArchiveIndex { LedgerArchiveIndex(ledger: self) }
    public var readState: LedgerReadState { LedgerReadState(ledger: self) }
    public var exportStore: LedgerExports { LedgerExports(ledger: self) }
    public var searchStore: LedgerSearch { LedgerSearch(ledger: self) }
    public var statusStore: LedgerStatus { LedgerStatus(ledger: self) }
    public var profileStore: LedgerProfiles { LedgerProfiles(ledger: self) }
    public var inboxStore: LedgerInbox { LedgerInbox(ledger: self) }
}

extension Ledger {
    /// Every store of this ledger, as the use cases take them.
    public var stores: Stores {
        Stores(capture: captureStore, contentQueue: contentQueue, archiveIndex: archiveIndex, readState: readState,
               exports: exportStore, search: searchStore, status: statusStore, profiles: profileStore, inbox: inboxStore)
    }
}
