import Foundation
import SQLiteDB
import Store
import TalkVaultDomain

/// The ledger: an SQLite index of every event and message, their deadlines and states.
/// Not thread-safe; a server confines it to one actor.
public final class Ledger {
    /// The database file.
    public let path: String
    /// The policy deadlines are computed with.
    public let policy: RetentionPolicy
    /// The commit durability it was opened with.
    public let synchronous: Synchronous
    /// The connection. A read-only ledger swaps it once, for `find`'s search index (see
    /// `attachSearchIndex`).
    var db: Database
    /// The schema name the ledger's own tables have on `db`.
    var ledgerSchema = "main"
    /// Chats and profile rows known to be committed, so capture can skip their upserts.
    /// Filled only after a commit succeeds: a rolled-back batch must not leave ids here.
    var knownChats: Set<String> = []
    var knownProfiles: Set<String> = []
    /// `channel NUL destination` pairs already in `channels`.
    var knownDestinations: Set<String> = []
    /// Messages the current capture inserted, for `autoRead`.
    var newMessageIds: [String] = []
    /// Whether `find`'s search index is attached to this connection (as `search`).
    var searchAttached = false

    /// How a connection may use the file.
    public enum Access: Sendable, Equatable {
        /// Reads only: the file is opened read-only, so nothing (not even a checkpoint on close)
        /// writes it. The schema must be current: an older one is upgraded by a writer.
        case readOnly
        /// Reads and writes; `create` makes the file (and its directory) when missing. A writer
        /// calls `migrate()` before anything else.
        case readWrite(create: Bool)
    }

    /// The access this connection was opened with.
    public let access: Access

    /// Opens the ledger at `path`. Opening has no side effects: upgrading the schema and
    /// recomputing deadlines are `migrate()`, and applying the webhook inbox is Intake's.
    /// - Parameters:
    ///   - synchronous: commit durability; `.full` makes every commit survive power loss.
    ///   - walAutocheckpointPages: WAL pages after which a commit checkpoints; nil for
    ///     `OpenOptions`' default.
    ///   - cacheKibibytes: the page cache; nil for `OpenOptions`' default. A batch command
    ///     that must keep its memory flat (`import`) asks for less.
    public init(path: String, policy: RetentionPolicy, access: Access, synchronous: Synchronous = .full,
                walAutocheckpointPages: Int? = nil, cacheKibibytes: Int? = nil) throws(LedgerError) {
        self.path = path
        self.policy = policy
        self.access = access
        self.synchronous = synchronous
        let fm = FileManager.default
        if !fm.fileExists(atPath: path) {
            guard access == .readWrite(create: true) else { throw .notFound(path: path) }
            let directory = (path as NSString).deletingLastPathComponent
            do {
                try fm.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                       attributes: [.posixPermissions: 0o750])
            } catch {
                throw .io(path: directory, reason: "cannot create directory (\(Self.reason(error)))")
            }
        }
        var options = OpenOptions(create: access == .readWrite(create: true), readOnly: access == .readOnly,
                                  synchronous: synchronous)
        if let walAutocheckpointPages { options.walAutocheckpointPages = walAutocheckpointPages }
        if let cacheKibibytes { options.cacheKibibytes = cacheKibibytes }
        do {
            db = try Database(path: path, options: options)
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
        if access == .readOnly { try db.checkSchemaIsCurrent(path: path) }
    }

    /// Brings the file up to this version's schema and, when the policy changed since the
    /// last call, recomputes every deadline. The first step of every command that writes;
    /// cheap when there is nothing to do.
    public func migrate() throws(LedgerError) {
        try db.migrate()
        try applyPolicy()
    }

    /// The search index's file: a database of its own, beside the ledger.
    public var searchIndexPath: String { path + "-search" }

    /// False when the stored deadlines were computed with other windows than the policy's: a
    /// reader cannot recompute them (a writer's `migrate()` does), so it says they are stale.
    public func deadlinesAreCurrent() throws(LedgerError) -> Bool {
        do {
            return try db.first("SELECT value FROM \(ledgerSchema).meta WHERE key = 'policy'") { $0.text(0) } == policy.fingerprint
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
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
                    let (ms, overflow) = row.window.seconds.multipliedReportingOverflow(by: 1000)
                    // Saturating, as `Instant.adding` is: a time an older version stored near
                    // Int64's limit must not make the sum a REAL the STRICT column refuses.
                    try db.run("""
                        UPDATE messages SET deadline_ms = CASE WHEN sent_at_ms > 9223372036854775807 - ?1
                                                               THEN 9223372036854775807 ELSE sent_at_ms + ?1 END
                        WHERE kind = ?2 AND chat_type = ?3 AND deadline_ms IS NOT CASE WHEN sent_at_ms > 9223372036854775807 - ?1
                                                                                       THEN 9223372036854775807 ELSE sent_at_ms + ?1 END
                        """, [.integer(overflow ? .max : ms), .text(row.kind.rawValue), .text(row.chatType.rawValue)])
                }
                // A channel's own windows, over the rows above for its messages.
                for (channel, windows) in policy.channelWindows {
                    for (kind, window) in windows {
                        let (ms, overflow) = window.seconds.multipliedReportingOverflow(by: 1000)
                        try db.run("""
                            UPDATE messages SET deadline_ms = CASE WHEN sent_at_ms > 9223372036854775807 - ?1
                                                                   THEN 9223372036854775807 ELSE sent_at_ms + ?1 END
                            WHERE kind = ?2 AND channel = ?3
                            """, [.integer(overflow ? .max : ms), .text(kind.rawValue), .text(channel)])
                    }
                }
                try setMeta("policy", fingerprint)
            }
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    /// Sets a `meta` row, inside the caller's transaction.
    func setMeta(_ key: String, _ value: String) throws {
        try db.run("INSERT INTO meta(key, value) VALUES(?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                   [.text(key), .text(value)])
    }

    static func reason(_ error: any Error) -> String {
        (error as NSError).localizedFailureReason ?? (error as NSError).localizedDescription
    }
}

extension LedgerSearch {
    /// The message with `id`, or nil.
    public func message(id: String) throws(LedgerError) -> MessageRecord? {
        do {
            return try db.first("""
                SELECT m.id, m.kind, m.line_type, m.chat_type, m.chat_id, m.sender_id, m.sent_at_ms, m.deadline_ms,
                       m.state, m.reason, m.text, m.original_text, e.body, m.content_provider, m.content_url, m.file_name,
                       m.file_size, m.mark_as_read_token, m.edited, m.unsent_at_ms
                FROM messages m JOIN raw_events e ON e.seq = m.event_seq WHERE m.id = ?1
                """, [.text(id)]) { row in
                MessageRecord(
                    id: row.text(0), kind: MessageKind(rawValue: row.text(1)) ?? .unknown, lineType: row.text(2),
                    chat: ChatRef(type: ChatType(rawValue: row.text(3)) ?? .user, id: row.text(4)),
                    senderId: row.optionalText(5), sentAt: Instant(milliseconds: row.int64(6)),
                    deadline: Instant(milliseconds: row.int64(7)), state: MessageState(rawValue: row.text(8)) ?? .received,
                    reason: row.optionalText(9).flatMap(LossReason.init(rawValue:)), text: row.optionalText(10),
                    originalText: row.optionalText(11), eventJSON: row.text(12), contentProvider: row.optionalText(13),
                    contentURL: row.optionalText(14), fileName: row.optionalText(15), fileSize: row.optionalInt64(16),
                    markAsReadToken: row.optionalText(17), edited: row.int(18) != 0,
                    unsentAt: row.optionalInt64(19).map(Instant.init(milliseconds:)))
            }
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }
}

extension LedgerStatus {
    /// Row counts per table, for tests and diagnostics.
    public func tableCounts() throws(LedgerError) -> [String: Int] {
        var counts: [String: Int] = [:]
        do {
            for table in ["raw_events", "event_conflicts", "chats", "profiles", "messages", "message_edits", "unsends", "message_history"] {
                counts[table] = Int(try db.scalar("SELECT count(*) FROM \(table)"))
            }
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
        return counts
    }

    /// Runs a trivial query: throws when the database cannot be read.
    public func ping() throws(LedgerError) {
        do { _ = try db.scalar("SELECT count(*) FROM meta") } catch { throw LedgerError.wrap(error, path: path) }
    }
}
