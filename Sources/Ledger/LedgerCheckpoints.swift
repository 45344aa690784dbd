import SQLiteDB
import Store

/// A connection of its own that copies the ledger's WAL into the database file (a passive
/// checkpoint: it never waits for the writer). `Intake.WALCheckpointer` runs it on a thread.
public final class LedgerCheckpoints {
    private let db: Database
    public let path: String

    /// Opens the ledger at `path`, which must exist.
    public init(path: String) throws(LedgerError) {
        self.path = path
        do {
            db = try Database(path: path, options: OpenOptions(create: false, cacheKibibytes: 2048))
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    /// Copies what it can of the WAL into the database file, and fsyncs the file.
    public func checkpoint() throws(LedgerError) {
        do { _ = try db.checkpointPassive() } catch { throw LedgerError.wrap(error, path: path) }
    }
}
