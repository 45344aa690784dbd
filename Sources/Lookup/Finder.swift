import LINE
import Store

/// `find` as the CLI runs it: `find`'s indexes are brought up to date, then the ledger is asked.
/// Capture only queues message row ids, so the webhook path stays cheap; the first lookup after
/// a big import does the indexing.
public enum Finder {
    /// Indexes every queued message; `progress` gets (done, total) after each batch.
    @discardableResult
    public static func catchUp(_ store: any SearchStore, progress: (Int, Int) -> Void = { _, _ in }) throws(LedgerError) -> Int {
        let total = try store.lookupBacklog()
        guard total > 0 else { return 0 }
        var done = 0
        var waits = 0
        while true {
            let count: Int
            do {
                count = try store.indexLookupBatch(summary: MessageText.summary)
            } catch .busy(let path) {
                // Another find is indexing (each wait is the busy timeout): what it indexes is
                // not done twice, so queue behind it for a while rather than fail.
                waits += 1
                guard waits < 12 else { throw .busy(path: path) }
                continue
            }
            guard count > 0 else { break }
            done += count
            progress(min(done, total), total)
        }
        return done
    }

    /// The messages matching `query`, oldest first, after catching up.
    public static func find(_ store: any SearchStore, _ query: FindQuery, progress: (Int, Int) -> Void = { _, _ in },
                            _ body: (FoundMessage) throws -> Void) throws(LedgerError) {
        if needsIndex(query) { try catchUp(store, progress: progress) }
        try store.find(query, body)
    }

    /// How many messages match `query`, after catching up.
    public static func count(_ store: any SearchStore, _ query: FindQuery, atMost cap: Int? = nil,
                             progress: (Int, Int) -> Void = { _, _ in }) throws(LedgerError) -> Int {
        if needsIndex(query) { try catchUp(store, progress: progress) }
        return try store.count(query, atMost: cap)
    }

    static func needsIndex(_ query: FindQuery) -> Bool { query.chat != nil || query.user != nil || query.text != nil }
}
