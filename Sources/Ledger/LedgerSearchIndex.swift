import Foundation
import SQLiteDB
import Store
import TalkVaultDomain

/// `find`'s indexes live in a database of their own beside the ledger (`<ledger>-search`): who
/// and where each message is (`message_lookup`), and a trigram full-text index of what people
/// search for (`message_search`). Capture only appends a changed message's id to the ledger's
/// `message_changes` (a trigger), so the webhook path pays for no tokenizing; `find` brings the
/// indexes up to date in their own database, reading the ledger and never taking its write
/// lock, so neither `serve` nor any other writer waits on a first `find` after a big import.
/// The file is a cache: deleted, or copied beside another ledger, it is built again.
extension LedgerSearch {

    /// Attaches the search index as `search`, creating it when missing. An index made for
    /// another ledger (its `ledger_id` differs), or ahead of this ledger's changes (the ledger was
    /// restored from an older copy), starts over; a damaged file is deleted and built again.
    func attachSearchIndex() throws(LedgerError) {
        guard !ledger.searchAttached else { return }
        do {
            try openSearchIndex()
        } catch let error as SQLiteError where error.isCorrupt {
            // A cache: what is damaged is thrown away and made again from the ledger.
            if ledger.searchAttached { try? db.execute("DETACH DATABASE search") }
            ledger.searchAttached = false
            for suffix in ["", "-wal", "-shm"] { unlink(ledger.searchIndexPath + suffix) }
            do { try openSearchIndex() } catch { throw LedgerError.wrap(error, path: ledger.searchIndexPath) }
        } catch {
            throw LedgerError.wrap(error, path: ledger.searchIndexPath)
        }
    }

    private func openSearchIndex() throws {
        // An attached file is opened with the ledger's flags, which do not create files for
        // the commands that only read: made here, on a connection of its own, in WAL mode.
        if !FileManager.default.fileExists(atPath: ledger.searchIndexPath) {
            _ = try Database(path: ledger.searchIndexPath, options: OpenOptions(create: true, cacheKibibytes: 256))
        }
        if ledger.access == .readOnly && ledgerSchema == "main" {
            // A read-only connection cannot write a file attached to it: from here on this
            // ledger is read through a connection that can write the index, with the ledger
            // attached read-only (as `ledger`; unqualified names still find its tables, which
            // SQLite looks up in the order files were attached).
            let lookup = try Database(path: ":memory:", options: OpenOptions(cacheKibibytes: 0))
            try lookup.attach(path, as: "ledger", readOnly: true)
            try lookup.execute("PRAGMA ledger.cache_size=-65536")
            ledger.db = lookup
            ledger.ledgerSchema = "ledger"
        }
        try db.attach(ledger.searchIndexPath, as: "search", readOnly: false)
        ledger.searchAttached = true
        // Durable commits: `pack` prunes the changes the index says it has taken in. The page
        // cache is per database: the index gets the ledger's, not SQLite's 2 MiB default.
        try db.execute("PRAGMA search.journal_mode=WAL; PRAGMA search.synchronous=FULL; PRAGMA search.cache_size=-65536")
        try db.execute("CREATE TABLE IF NOT EXISTS search.meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT")
        try db.transaction(deferred: true) {
            try takeSearchWriteLock()
            try db.execute("""
                -- Keyed by message id, never by messages' rowid: VACUUM may renumber those.
                CREATE TABLE IF NOT EXISTS search.message_lookup (
                    message_id    TEXT PRIMARY KEY,
                    chat_id       TEXT NOT NULL,
                    sender_id     TEXT,
                    sent_at_ms    INTEGER NOT NULL,
                    search_rowid  INTEGER            -- the message's row in message_search, if it has words
                ) STRICT, WITHOUT ROWID;
                CREATE INDEX IF NOT EXISTS search.message_lookup_by_sender ON message_lookup(sender_id, sent_at_ms);
                CREATE INDEX IF NOT EXISTS search.message_lookup_by_chat ON message_lookup(chat_id, sent_at_ms);
                -- body = MessageText.summary of the message.
                CREATE VIRTUAL TABLE IF NOT EXISTS search.message_search USING fts5(body, message_id UNINDEXED, tokenize = 'trigram');
                """)
            let ledgerId = try db.first("SELECT value FROM \(ledgerSchema).meta WHERE key = 'ledger_id'") { $0.text(0) } ?? ""
            let newestChange = try db.scalar("SELECT coalesce(max(seq), 0) FROM \(ledgerSchema).sqlite_sequence WHERE name = 'message_changes'")
            let indexed = try searchMeta("indexed_through").flatMap(Int64.init)
            let through = try indexed ?? searchMeta("build_top").flatMap(Int64.init) ?? 0
            if try searchMeta("ledger_id") != ledgerId || through > newestChange {
                try db.execute("DELETE FROM search.message_lookup; DELETE FROM search.message_search; DELETE FROM search.meta")
                try setSearchMeta("ledger_id", ledgerId)
            }
        }
    }

    /// The first statement of a transaction on the index: it takes the index's write lock
    /// through the busy timeout, so two `find`s queue instead of one failing when the other
    /// commits first (a read lock cannot wait its way up to a write lock).
    private func takeSearchWriteLock() throws {
        try db.run("UPDATE search.meta SET value = value WHERE key = 'ledger_id'")
    }

    private func searchMeta(_ key: String) throws -> String? {
        try db.first("SELECT value FROM search.meta WHERE key = ?1", [.text(key)]) { $0.text(0) }
    }

    private func setSearchMeta(_ key: String, _ value: String?) throws {
        if let value {
            try db.run("INSERT INTO search.meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                       [.text(key), .text(value)])
        } else {
            try db.run("DELETE FROM search.meta WHERE key = ?1", [.text(key)])
        }
    }

    /// About how many messages `find`'s indexes have yet to take in (a message changed twice
    /// counts twice).
    public func lookupBacklog() throws(LedgerError) -> Int {
        try attachSearchIndex()
        do {
            if let through = try searchMeta("indexed_through").flatMap(Int64.init) {
                return Int(try db.scalar("SELECT count(*) FROM message_changes WHERE seq > ?1", [.integer(through)]))
            }
            let built = try searchMeta("build_rowid").flatMap(Int64.init) ?? 0
            return Int(try db.scalar("SELECT count(*) FROM messages WHERE rowid > ?1", [.integer(built)]))
                + Int(try db.scalar("SELECT count(*) FROM message_changes WHERE seq > ?1",
                                    [.integer(try searchMeta("build_top").flatMap(Int64.init) ?? .max)]))
        } catch {
            throw LedgerError.wrap(error, path: ledger.searchIndexPath)
        }
    }

    /// Brings up to `batch` messages into `find`'s indexes, in one transaction that writes only
    /// the search index. `summary` turns a message into the words to index. Returns how many
    /// were done; 0 means up to date. Until then, `--chat`, `--user` and `--text` do not see them.
    ///
    /// A new index is built from every message (resumably, by rowid, from the change that was
    /// newest when the build began), then kept up by the changes after it.
    public func indexLookupBatch(_ batch: Int,
                                 summary: (_ kind: MessageKind, _ text: String?, _ fileName: String?, _ eventJSON: String) -> String) throws(LedgerError) -> Int {
        try attachSearchIndex()
        do {
            return try db.transaction(deferred: true) {
                try takeSearchWriteLock()
                var done = 0
                var through = try searchMeta("indexed_through").flatMap(Int64.init)
                if through == nil {
                    let top = try searchMeta("build_top").flatMap(Int64.init) ?? db.scalar("SELECT coalesce(max(seq), 0) FROM message_changes")
                    let after = try searchMeta("build_rowid").flatMap(Int64.init) ?? 0
                    var ids: [String] = []
                    var found: [String: Entry] = [:]
                    var last = after
                    try db.query("""
                        SELECT m.rowid, m.id, m.kind, m.text, m.file_name, e.body, m.chat_id, m.sender_id, m.sent_at_ms
                        FROM messages m LEFT JOIN raw_events e ON e.seq = m.event_seq
                        WHERE m.rowid > ?1 ORDER BY m.rowid LIMIT ?2
                        """, [.integer(after), .integer(Int64(batch))]) { row in
                        last = row.int64(0)
                        ids.append(row.text(1))
                        guard let kind = MessageKind(rawValue: row.text(2)) else { return }
                        found[row.text(1)] = (summary(kind, row.optionalText(3), row.optionalText(4), row.optionalText(5) ?? "{}"),
                                              [.text(row.text(6)), .text(row.optionalText(7)), .integer(row.int64(8))])
                    }
                    // Rows are taken in rowid order, each batch after the last: none is indexed yet.
                    try replace(ids, with: found, fresh: true)
                    if ids.count == batch {
                        try setSearchMeta("build_top", String(top))
                        try setSearchMeta("build_rowid", String(last))
                        return ids.count
                    }
                    try setSearchMeta("build_top", nil)
                    try setSearchMeta("build_rowid", nil)
                    through = top
                    done = ids.count
                }
                var ids: [String] = []
                var seen = Set<String>()
                var last = through!
                try db.query("SELECT seq, message_id FROM message_changes WHERE seq > ?1 ORDER BY seq LIMIT ?2",
                             [.integer(through!), .integer(Int64(batch))]) {
                    last = $0.int64(0)
                    if seen.insert($0.text(1)).inserted { ids.append($0.text(1)) }
                }
                try reindex(ids, summary: summary)
                try setSearchMeta("indexed_through", String(last))
                return done + ids.count
            }
        } catch {
            throw LedgerError.wrap(error, path: ledger.searchIndexPath)
        }
    }

    /// One message's index entry: the words to search, and who, where and when.
    private typealias Entry = (body: String, lookup: [SQLValue])

    /// The current entries of the messages `ids` (none for a message that is gone), fetched
    /// 500 at a time in one query each.
    private func entries(_ ids: [String], summary: (MessageKind, String?, String?, String) -> String) throws -> [String: Entry] {
        var found: [String: Entry] = [:]
        for chunk in SQLLists.chunks(ids, size: 500) {
            let list = SQLLists.placeholders(chunk.count)
            try db.query("""
                SELECT m.id, m.kind, m.text, m.file_name, e.body, m.chat_id, m.sender_id, m.sent_at_ms
                FROM messages m LEFT JOIN raw_events e ON e.seq = m.event_seq WHERE m.id IN (\(list))
                """, chunk.map { .text($0) }) { row in
                guard let kind = MessageKind(rawValue: row.text(1)) else { return }
                found[row.text(0)] = (summary(kind, row.optionalText(2), row.optionalText(3), row.optionalText(4) ?? "{}"),
                                      [.text(row.text(5)), .text(row.optionalText(6)), .integer(row.int64(7))])
            }
        }
        return found
    }

    /// Replaces the index entries of `ids` with their messages' current ones (none for a
    /// message that is gone); the caller holds a transaction.
    private func reindex(_ ids: [String], summary: (MessageKind, String?, String?, String) -> String) throws {
        guard !ids.isEmpty else { return }
        try replace(ids, with: try entries(ids, summary: summary))
    }

    /// Writes `entries` in place of what the index holds for `ids`, in their order. `fresh`:
    /// the index holds none of them (a build from scratch), so there is nothing to look up.
    private func replace(_ ids: [String], with entries: [String: Entry], fresh: Bool = false) throws {
        var existing: [String: Int64?] = [:]
        for chunk in fresh ? [] : SQLLists.chunks(ids, size: 500) {
            let list = SQLLists.placeholders(chunk.count)
            try db.query("SELECT message_id, search_rowid FROM search.message_lookup WHERE message_id IN (\(list))",
                         chunk.map { .text($0) }) { existing[$0.text(0)] = $0.optionalInt64(1) }
        }
        var nextSearchRow = try db.scalar("SELECT coalesce(max(rowid), 0) FROM search.message_search")
        for id in ids {
            if let old = existing[id] {
                if let old { try db.run("DELETE FROM search.message_search WHERE rowid = ?1", [.integer(old)]) }
                try db.run("DELETE FROM search.message_lookup WHERE message_id = ?1", [.text(id)])
            }
            guard let (body, lookup) = entries[id] else { continue }
            var searchRow: SQLValue = .null
            if !body.isEmpty {
                nextSearchRow += 1
                searchRow = .integer(nextSearchRow)
                try db.run("INSERT INTO search.message_search(rowid, body, message_id) VALUES (?1, ?2, ?3)", [searchRow, .text(body), .text(id)])
            }
            try db.run("INSERT INTO search.message_lookup(message_id, chat_id, sender_id, sent_at_ms, search_rowid) VALUES (?1, ?2, ?3, ?4, ?5)",
                       [.text(id)] + lookup + [searchRow])
        }
    }

    /// Deletes the change records the search index has taken in, so `message_changes` does not
    /// grow without end. Writers call it (`pack`); the index is read through a connection of its
    /// own, and nothing is deleted while it is being built.
    public func pruneIndexedChanges() throws(LedgerError) {
        guard FileManager.default.fileExists(atPath: ledger.searchIndexPath) else { return }
        // An index that cannot be read (half made, damaged) is rebuilt by the next `find`: keep every change.
        guard let index = try? Database(path: ledger.searchIndexPath, options: OpenOptions(create: false, cacheKibibytes: 256)),
              let indexedFor = try? index.first("SELECT value FROM meta WHERE key = 'ledger_id'", [], { $0.text(0) }),
              let through = try? index.first("SELECT value FROM meta WHERE key = 'indexed_through'", [], { Int64($0.text(0)) }) ?? nil
        else { return }
        do {
            guard try db.first("SELECT value FROM meta WHERE key = 'ledger_id'", [], { $0.text(0) }) == indexedFor else { return }
            _ = try db.transaction { try db.run("DELETE FROM message_changes WHERE seq <= ?1", [.integer(through)]) }
        } catch {
            throw LedgerError.wrap(error, path: ledger.searchIndexPath)
        }
    }
}
