import TalkVaultDomain

/// Lookup: `find`, `show`, and the search index that `--chat`, `--user` and `--text` use.
public protocol SearchStore {
    /// The message with `id`, or nil.
    func message(id: String) throws(LedgerError) -> MessageRecord?
    /// The messages matching `query`, oldest first, streamed. `--chat`, `--user` and `--text`
    /// see what `indexLookupBatch` has indexed: `Lookup.Finder` catches up first.
    func find(_ query: FindQuery, _ body: (FoundMessage) throws -> Void) throws(LedgerError)
    /// How many messages match `query` (its limit aside).
    func count(_ query: FindQuery) throws(LedgerError) -> Int
    /// The same, counting no further than `cap` plus one (nil: all).
    func count(_ query: FindQuery, atMost cap: Int?) throws(LedgerError) -> Int
    /// The detail of message `id`, or nil when the ledger has no such message.
    func detail(id: String) throws(LedgerError) -> MessageDetail?
    /// About how many messages the search index has yet to take in.
    func lookupBacklog() throws(LedgerError) -> Int
    /// Takes up to `batch` changed messages into the search index, with `summary` as the text
    /// searched; returns how many it took.
    func indexLookupBatch(_ batch: Int, summary: (_ kind: MessageKind, _ text: String?, _ fileName: String?,
                                                  _ eventJSON: String) -> String) throws(LedgerError) -> Int
    /// Forgets the changes the search index has taken in. Writers call it.
    func pruneIndexedChanges() throws(LedgerError)
}

extension SearchStore {
    /// Takes up to 50,000 changed messages into the search index.
    public func indexLookupBatch(summary: (_ kind: MessageKind, _ text: String?, _ fileName: String?,
                                           _ eventJSON: String) -> String) throws(LedgerError) -> Int {
        try indexLookupBatch(50_000, summary: summary)
    }
}
