import Foundation
import SQLiteDB
import TalkVaultDomain

/// The ledger: an SQLite index of every event and message, their deadlines and states.
/// Not thread-safe; a server confines it to one actor.
public final class Ledger {
    /// The database file.
    public let path: String
    /// The policy deadlines are computed with.
    public let policy: RetentionPolicy
    let db: Database

    /// Opens the ledger at `path`, applying migrations and, when the policy changed since the
    /// last open, recomputing every deadline.
    /// - Parameters:
    ///   - create: create the file (and its directory) when missing; else `.notFound`.
    ///   - synchronous: commit durability; `.full` makes every commit survive power loss.
    public init(path: String, policy: RetentionPolicy, create: Bool = true,
                synchronous: Synchronous = .full) throws(LedgerError) {
        self.path = path
        self.policy = policy
        let fm = FileManager.default
        if !fm.fileExists(atPath: path) {
            guard create else { throw .notFound(path: path) }
            let directory = (path as NSString).deletingLastPathComponent
            do {
                try fm.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                       attributes: [.posixPermissions: 0o750])
            } catch {
                throw .io(path: directory, reason: "cannot create directory (\(Self.reason(error)))")
            }
        }
        do {
            db = try Database(path: path, options: OpenOptions(create: create, synchronous: synchronous))
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
        try db.migrate()
        try applyPolicy()
    }

    /// Runs `body` in one transaction: all of it is committed, or none.
    public func transaction<T>(_ body: () throws -> T) throws(LedgerError) -> T {
        do { return try db.transaction(body) } catch { throw LedgerError.wrap(error, path: path) }
    }

    /// Recomputes deadlines when the policy differs from the one they were computed with.
    func applyPolicy() throws(LedgerError) {
        let fingerprint = policy.fingerprint
        do {
            let stored = try db.first("SELECT value FROM meta WHERE key = 'policy'") { $0.text(0) }
            guard stored != fingerprint else { return }
            try db.transaction {
                for row in policy.effectiveRows {
                    let ms = row.window.seconds * 1000
                    try db.run("""
                        UPDATE messages SET deadline_ms = sent_at_ms + ?1
                        WHERE kind = ?2 AND chat_type = ?3 AND deadline_ms != sent_at_ms + ?1
                        """, [.integer(ms), .text(row.kind.rawValue), .text(row.chatType.rawValue)])
                }
                try db.run("INSERT INTO meta(key, value) VALUES('policy', ?1) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                           [.text(fingerprint)])
            }
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    static func reason(_ error: any Error) -> String {
        (error as NSError).localizedFailureReason ?? (error as NSError).localizedDescription
    }
}
