import LINE
import Ledger

/// Keeps the trigram search index current. Capture only queues message row ids, so the
/// webhook path stays cheap; the first `find --text` after a big import does the work.
public enum SearchIndex {
    /// Indexes every queued message; `progress` gets (done, total) after each batch.
    @discardableResult
    public static func catchUp(_ ledger: Ledger, progress: (Int, Int) -> Void = { _, _ in }) throws(LedgerError) -> Int {
        let total = try ledger.searchIndexBacklog()
        guard total > 0 else { return 0 }
        var done = 0
        while true {
            let count = try ledger.indexSearchBatch(summary: MessageText.summary)
            guard count > 0 else { break }
            done += count
            progress(min(done, total), total)
        }
        return done
    }
}
