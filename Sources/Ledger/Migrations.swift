import SQLiteDB
import Store
import TalkVaultDomain

/// The ledger's schema, as numbered migrations applied in order on open. A migration is never
/// edited once shipped; changes go into a new one.
enum Migrations {
    static let all: [@Sendable (Database) throws -> Void] = [sql(v1), sql(v2), sql(v3), sql(v4), sql(v5), v6, sql(v7), v8, sql(v9), v10, v11, sql(v12), v13, sql(v14)]

    private static func sql(_ text: String) -> @Sendable (Database) throws -> Void {
        { try $0.execute(text) }
    }

    static let v1 = """
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) STRICT;

    -- Every webhook event ever accepted, once per webhookEventId.
    CREATE TABLE raw_events (
        seq            INTEGER PRIMARY KEY,
        event_id       TEXT NOT NULL UNIQUE,
        type           TEXT NOT NULL,
        timestamp_ms   INTEGER NOT NULL,
        received_at_ms INTEGER NOT NULL,
        mode           TEXT,
        chat_id        TEXT,
        sender_id      TEXT,
        destination    TEXT,
        -- 1 once any delivery of the event carried deliveryContext.isRedelivery: LINE retried it.
        redelivered    INTEGER NOT NULL,
        disposition    TEXT NOT NULL CHECK (disposition IN ('message','edit','unsend','other','unknown','invalid')),
        invalid_reason TEXT,
        fingerprint    TEXT NOT NULL,
        body           TEXT NOT NULL
    ) STRICT;

    -- Events that reused a stored webhookEventId with different content: kept, not applied.
    CREATE TABLE event_conflicts (
        seq            INTEGER PRIMARY KEY,
        event_id       TEXT NOT NULL,
        received_at_ms INTEGER NOT NULL,
        fingerprint    TEXT NOT NULL,
        body           TEXT NOT NULL,
        UNIQUE (event_id, fingerprint)
    ) STRICT;

    CREATE TABLE chats (
        chat_id       TEXT PRIMARY KEY,
        chat_type     TEXT NOT NULL CHECK (chat_type IN ('user','group','room')),
        name          TEXT,
        first_seen_ms INTEGER NOT NULL   -- the first event seen from the chat, by arrival
    ) STRICT;

    -- Display names from LINE's profile API; chat_id is '' for a 1:1 profile.
    CREATE TABLE profiles (
        user_id          TEXT NOT NULL,
        chat_id          TEXT NOT NULL DEFAULT '',
        display_name     TEXT,
        fetched_at_ms    INTEGER,
        failures         INTEGER NOT NULL DEFAULT 0,
        next_attempt_ms  INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (user_id, chat_id)
    ) STRICT;

    -- The full message JSON is the raw event's body (event_seq): it is not copied here.
    CREATE TABLE messages (
        id                 TEXT PRIMARY KEY,
        kind               TEXT NOT NULL CHECK (kind IN ('text','sticker','location','image','video','audio','file','unknown')),
        line_type          TEXT NOT NULL,
        chat_type          TEXT NOT NULL,
        chat_id            TEXT NOT NULL,
        sender_id          TEXT,
        sent_at_ms         INTEGER NOT NULL,
        deadline_ms        INTEGER NOT NULL,
        state              TEXT NOT NULL CHECK (state IN ('received','content_due','downloaded','archived','lost','unsent')),
        reason             TEXT,
        text               TEXT,
        original_text      TEXT,
        content_provider   TEXT,
        content_url        TEXT,
        file_name          TEXT,
        file_size          INTEGER,
        content_type       TEXT,
        content_size       INTEGER,
        content_sha256     TEXT,
        mark_as_read_token TEXT,
        origin             TEXT NOT NULL CHECK (origin IN ('message','edit')),
        edited             INTEGER NOT NULL DEFAULT 0,
        unsent_at_ms       INTEGER,
        event_seq          INTEGER NOT NULL REFERENCES raw_events(seq),
        captured_at_ms     INTEGER NOT NULL,
        updated_at_ms      INTEGER NOT NULL,
        CHECK ((state = 'lost') = (reason IS NOT NULL))
    ) STRICT;
    -- Indexes serve the queries that exist; find and export add theirs in their own migrations.
    CREATE INDEX messages_pending_deadline ON messages(deadline_ms) WHERE state IN ('received','content_due','downloaded');

    -- messageEdited events; the message's text is the version with the latest timestamp.
    CREATE TABLE message_edits (
        message_id   TEXT NOT NULL,
        edited_at_ms INTEGER NOT NULL,
        text         TEXT,
        event_seq    INTEGER NOT NULL UNIQUE REFERENCES raw_events(seq)
    ) STRICT;
    CREATE INDEX message_edits_by_message ON message_edits(message_id, edited_at_ms);

    -- Unsends, kept even when their message has not arrived, so arrival order does not matter.
    CREATE TABLE unsends (
        message_id  TEXT PRIMARY KEY,
        unsent_at_ms INTEGER NOT NULL,
        event_seq   INTEGER NOT NULL REFERENCES raw_events(seq)
    ) STRICT;

    -- What happened to a message after capture, for `show`: redelivered, edited, unsent, ...
    CREATE TABLE message_history (
        seq        INTEGER PRIMARY KEY,
        message_id TEXT NOT NULL,
        at_ms      INTEGER NOT NULL,
        what       TEXT NOT NULL,
        detail     TEXT
    ) STRICT;
    CREATE INDEX message_history_by_message ON message_history(message_id, seq);
    CREATE UNIQUE INDEX message_history_once ON message_history(message_id, what, detail);
    """

    /// Archives: the segment chain, where each message's record and content are, and the
    /// staged download waiting to be packed.
    static let v2 = """
    ALTER TABLE messages ADD COLUMN staged_file TEXT;

    -- Segments in chain order: seq is the manifest's sequence.
    CREATE TABLE segments (
        seq             INTEGER PRIMARY KEY,
        path            TEXT NOT NULL UNIQUE,   -- under the archive dir
        created_at_ms   INTEGER NOT NULL,
        bytes           INTEGER NOT NULL,
        file_sha256     TEXT NOT NULL,          -- the whole file: the next segment links to it
        content_sha256  TEXT NOT NULL,          -- the bytes before the manifest
        previous_sha256 TEXT,
        entries         INTEGER NOT NULL,
        records         INTEGER NOT NULL,
        indexed_at_ms   INTEGER NOT NULL
    ) STRICT;

    -- The latest archived copy of each message's record, and of its content.
    CREATE TABLE archived_items (
        message_id       TEXT NOT NULL,
        part             TEXT NOT NULL CHECK (part IN ('record','content')),
        segment_seq      INTEGER NOT NULL REFERENCES segments(seq),
        entry_name       TEXT,
        member_offset    INTEGER NOT NULL,
        member_length    INTEGER NOT NULL,
        offset_in_member INTEGER NOT NULL,
        length           INTEGER NOT NULL,
        sha256           TEXT NOT NULL,
        -- The message's updated_at_ms that the record shows: a later change means pack again.
        version_ms       INTEGER NOT NULL,
        PRIMARY KEY (message_id, part)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX archived_items_by_segment ON archived_items(segment_seq);
    CREATE INDEX messages_downloaded ON messages(state) WHERE state = 'downloaded';
    """

    /// Read state, LINE mark-as-read calls still owed, and what each weekly export delivered.
    static let v3 = """
    ALTER TABLE messages ADD COLUMN read_at_ms INTEGER;
    ALTER TABLE messages ADD COLUMN read_by TEXT;

    -- markAsRead calls owed to LINE: sent at once when a token is configured, else by a sweep.
    CREATE TABLE read_receipts (
        message_id      TEXT PRIMARY KEY,
        token           TEXT NOT NULL,
        requested_at_ms INTEGER NOT NULL,
        attempts        INTEGER NOT NULL DEFAULT 0,
        last_error      TEXT,
        sent_at_ms      INTEGER
    ) STRICT;

    -- Delivered weekly exports; a delivered week is never rewritten without --force.
    CREATE TABLE exports (
        week           TEXT NOT NULL,
        profile        TEXT NOT NULL,
        path           TEXT NOT NULL,
        sha256         TEXT NOT NULL,
        rows           INTEGER NOT NULL,
        exported_at_ms INTEGER NOT NULL,
        PRIMARY KEY (week, profile)
    ) STRICT;

    -- The week each message was exported in, per profile: late reads carry into the next week.
    CREATE TABLE exported_messages (
        message_id TEXT NOT NULL,
        profile    TEXT NOT NULL,
        week       TEXT NOT NULL,
        PRIMARY KEY (message_id, profile)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX messages_by_sent ON messages(sent_at_ms);
    CREATE INDEX messages_read ON messages(read_at_ms) WHERE read_at_ms IS NOT NULL;
    """

    /// `find`: who and where each message is, indexed, and a trigram full-text index of what
    /// people search for. Capture only queues a row id (a trigger); `find` builds the entries,
    /// so the webhook path pays for neither random-key index inserts nor tokenizing.
    static let v4 = """
    -- Keyed by message id, never by messages' rowid: VACUUM may renumber those.
    CREATE TABLE message_lookup (
        message_id    TEXT PRIMARY KEY,
        chat_id       TEXT NOT NULL,
        sender_id     TEXT,
        sent_at_ms    INTEGER NOT NULL,
        search_rowid  INTEGER            -- the message's row in message_search, if it has words
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX message_lookup_by_sender ON message_lookup(sender_id, sent_at_ms);
    CREATE INDEX message_lookup_by_chat ON message_lookup(chat_id, sent_at_ms);

    -- body = MessageText.summary of the message.
    CREATE VIRTUAL TABLE message_search USING fts5(body, message_id UNINDEXED, tokenize = 'trigram');
    CREATE TABLE message_search_pending (message_id TEXT PRIMARY KEY) STRICT, WITHOUT ROWID;
    INSERT INTO message_search_pending SELECT id FROM messages;
    CREATE TRIGGER message_search_on_insert AFTER INSERT ON messages BEGIN
        INSERT OR IGNORE INTO message_search_pending VALUES (new.id);
    END;
    CREATE TRIGGER message_search_on_update AFTER UPDATE OF text, file_name, kind, event_seq, chat_id, sender_id, sent_at_ms ON messages BEGIN
        INSERT OR IGNORE INTO message_search_pending VALUES (new.id);
    END;
    CREATE TRIGGER message_search_on_delete AFTER DELETE ON messages BEGIN
        INSERT OR IGNORE INTO message_search_pending VALUES (old.id);
    END;
    """

    /// The webhook inbox: `serve` commits each signed body's bytes here (fsynced) before its
    /// 200, and applies them to the tables above off the request path.
    static let v5 = """
    CREATE TABLE webhook_inbox (
        seq            INTEGER PRIMARY KEY,
        received_at_ms INTEGER NOT NULL,
        auto_read      INTEGER NOT NULL,   -- LINE's markAsReadMode was auto when it arrived
        body           BLOB NOT NULL
    ) STRICT;
    -- Acknowledged bodies the full parse or the schema refused: kept with the reason, never dropped.
    CREATE TABLE inbox_rejected (
        seq            INTEGER PRIMARY KEY,
        received_at_ms INTEGER NOT NULL,
        problem        TEXT NOT NULL,
        body           BLOB NOT NULL
    ) STRICT;
    """

    /// The same constraints with OR chains in place of IN lists. SQLite builds an ephemeral table
    /// for an IN list of three or more constants each time it evaluates one, so every captured
    /// event paid for four of them: a quarter of capture's time. The CHECKs are rewritten in
    /// `sqlite_schema`, SQLite's documented procedure for constraint changes that every stored row
    /// still meets, so an existing ledger is not rebuilt; the partial index is built again.
    static func v6(_ db: Database) throws {
        let checks: [(table: String, column: String, values: [String])] = [
            ("raw_events", "disposition", ["message", "edit", "unsend", "other", "unknown", "invalid"]),
            ("chats", "chat_type", ["user", "group", "room"]),
            ("messages", "kind", ["text", "sticker", "location", "image", "video", "audio", "file", "unknown"]),
            ("messages", "state", ["received", "content_due", "downloaded", "archived", "lost", "unsent"]),
        ]
        let version = try db.scalar("PRAGMA schema_version")
        try db.execute("PRAGMA writable_schema=ON")
        defer { try? db.execute("PRAGMA writable_schema=OFF") }
        for table in Set(checks.map(\.table)).sorted() {
            guard var sql = try db.first("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?1", [.text(table)], {
                $0.text(0)
            }) else { throw LedgerError.unexpectedSchema("v6: no table \(table)") }
            for check in checks where check.table == table {
                let list = check.values.map { "'\($0)'" }.joined(separator: ",")
                let old = "CHECK (\(check.column) IN (\(list)))"
                guard sql.contains(old) else { throw LedgerError.unexpectedSchema("v6: \(table) has no \(old)") }
                sql = sql.replacingOccurrences(of: old, with: "CHECK (\(orChain(check.column, check.values)))")
            }
            try db.run("UPDATE sqlite_schema SET sql = ?2 WHERE type = 'table' AND name = ?1", [.text(table), .text(sql)])
        }
        try db.execute("PRAGMA schema_version=\(version + 1)")
        try db.execute("PRAGMA writable_schema=OFF")
        try db.execute("""
            DROP INDEX messages_pending_deadline;
            CREATE INDEX messages_pending_deadline ON messages(deadline_ms)
                WHERE (state = 'received' OR state = 'content_due' OR state = 'downloaded');
            """)
    }

    /// Recorded paths relative to the data dir. Staged downloads were recorded by absolute path,
    /// so a moved data dir found none of them and a copy read and deleted the original's. A sweep
    /// always stages in `<data dir>/staging`, so an absolute `…/staging/NAME` becomes `staging/NAME`:
    /// this data dir's own copy, which a pack checks (size and SHA-256) before it uses it. Any
    /// other absolute path stays as it is and is never read or deleted (`DataDir.resolve`): that
    /// download counts as missing and is fetched again. Exports keep their file name, which is
    /// where they are in the (flat) export dir. SQLite has no basename(): `rtrim(p, p without
    /// its slashes)` is the directory part, up to and including the last slash.
    static let v7 = """
    UPDATE messages
    SET staged_file = 'staging/' || replace(staged_file, rtrim(staged_file, replace(staged_file, '/', '')), '')
    WHERE staged_file GLOB '/*' AND rtrim(staged_file, replace(staged_file, '/', '')) GLOB '*/staging/';
    UPDATE exports SET path = replace(path, rtrim(path, replace(path, '/', '')), '') WHERE path GLOB '*/*';
    """

    /// `find`'s indexes move to a database of their own (`<ledger>-search`, see
    /// `LedgerSearchIndex.swift`), built by `find` without the ledger's write lock; the ledger
    /// keeps only the log of changed messages they are built from, and an id the index
    /// recognises it by. And the inbox log's damage, once found, is kept here: the segment it
    /// was found in is recycled soon after. A markAsRead call LINE refused for good (a token it
    /// did not issue) is marked as such, so it is never sent again. (Written to run again
    /// harmlessly over its own result.)
    static func v8(_ db: Database) throws {
        try db.execute(v8Schema)
        // Set when LINE refused the call for good; last_error then holds LINE's reason.
        var columns: [String] = []
        try db.query("SELECT name FROM pragma_table_info('read_receipts')") { columns.append($0.text(0)) }
        if !columns.contains("refused_at_ms") { try db.execute("ALTER TABLE read_receipts ADD COLUMN refused_at_ms INTEGER") }
    }

    static let v8Schema = """
    DROP TRIGGER IF EXISTS message_search_on_insert;
    DROP TRIGGER IF EXISTS message_search_on_update;
    DROP TRIGGER IF EXISTS message_search_on_delete;
    DROP TABLE IF EXISTS message_search;
    DROP TABLE IF EXISTS message_lookup;
    DROP TABLE IF EXISTS message_search_pending;
    -- AUTOINCREMENT: numbers only grow, even after the oldest rows are pruned.
    CREATE TABLE IF NOT EXISTS message_changes (
        seq        INTEGER PRIMARY KEY AUTOINCREMENT,
        message_id TEXT NOT NULL
    ) STRICT;
    CREATE TRIGGER IF NOT EXISTS message_changes_on_insert AFTER INSERT ON messages BEGIN
        INSERT INTO message_changes(message_id) VALUES (new.id);
    END;
    CREATE TRIGGER IF NOT EXISTS message_changes_on_update AFTER UPDATE OF text, file_name, kind, event_seq, chat_id, sender_id, sent_at_ms ON messages BEGIN
        INSERT INTO message_changes(message_id) VALUES (new.id);
    END;
    CREATE TRIGGER IF NOT EXISTS message_changes_on_delete AFTER DELETE ON messages BEGIN
        INSERT INTO message_changes(message_id) VALUES (old.id);
    END;
    INSERT INTO meta(key, value) VALUES ('ledger_id', lower(hex(randomblob(16))))
        ON CONFLICT(key) DO NOTHING;

    -- Acknowledged webhook bodies the inbox log lost (see InboxDamage): where, and how much.
    CREATE TABLE IF NOT EXISTS inbox_damage (
        segment  INTEGER NOT NULL,
        at_byte  INTEGER NOT NULL,
        kind     TEXT NOT NULL CHECK (kind = 'unreadable' OR kind = 'cut_short' OR kind = 'truncated' OR kind = 'missing'),
        bytes    INTEGER,
        after_ms INTEGER,            -- the receipt time of the last whole body before it
        PRIMARY KEY (segment, at_byte, kind)
    ) STRICT, WITHOUT ROWID;
    """

    /// The relay (`relay:` targets): each target's durable position in the inbox log and its
    /// counts, and the bodies it gave up on (dead letters), kept whole so `relay retry` can send
    /// them again after the inbox log has recycled their segment. (Written to run again harmlessly.)
    static let v9 = """
    CREATE TABLE IF NOT EXISTS relay_targets (
        name          TEXT PRIMARY KEY,
        position      TEXT NOT NULL,            -- segment:offset after the last body dealt with
        delivered     INTEGER NOT NULL DEFAULT 0,
        refused       INTEGER NOT NULL DEFAULT 0,
        dead          INTEGER NOT NULL DEFAULT 0,
        retried       INTEGER NOT NULL DEFAULT 0,
        failing_since_ms INTEGER,               -- the body at `position` has failed since then
        last_error    TEXT,                     -- why, the last time (never a body)
        updated_at_ms INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS relay_dead (
        seq            INTEGER PRIMARY KEY AUTOINCREMENT,
        target         TEXT NOT NULL,
        received_at_ms INTEGER NOT NULL,
        dead_at_ms     INTEGER NOT NULL,
        reason         TEXT NOT NULL,
        attempts       INTEGER NOT NULL,
        refused        INTEGER NOT NULL CHECK (refused = 0 OR refused = 1),
        queued         INTEGER NOT NULL DEFAULT 0 CHECK (queued = 0 OR queued = 1),  -- `relay retry` asked for it again
        body           BLOB NOT NULL
    ) STRICT;
    CREATE INDEX IF NOT EXISTS relay_dead_queued ON relay_dead(target, seq) WHERE queued = 1;
    """

    /// Channels (several Official Accounts): every event, message and chat carries the channel
    /// whose secret verified it. Rows from before are the implicit `default` channel, so a
    /// one-channel ledger upgrades in place (an added column with a default rewrites no row).
    /// `channels` keeps each channel's bot user id once learned, for the shared webhook path.
    static func v10(_ db: Database) throws {
        for table in ["raw_events", "messages", "chats", "relay_dead"] {
            var columns: [String] = []
            try db.query("SELECT name FROM pragma_table_info('\(table)')") { columns.append($0.text(0)) }
            if !columns.contains("channel") {
                try db.execute("ALTER TABLE \(table) ADD COLUMN channel TEXT NOT NULL DEFAULT '\(ChannelName.implicit)'")
            }
        }
        try db.execute("""
            CREATE TABLE IF NOT EXISTS channels (
                name          TEXT PRIMARY KEY,
                destination   TEXT UNIQUE,
                learned_at_ms INTEGER NOT NULL
            ) STRICT, WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS messages_by_channel_sent ON messages(channel, sent_at_ms);
            """)
    }

    /// Chat-backup imports: both sides of a conversation. `direction` and `source` default to a
    /// webhook's customer message, so no row is rewritten. `profile_names` keeps every display
    /// name a user has had (a backup names chats by the name of its week), `import_names` the
    /// chats that `import --map` settled, and `import_files` each backup file imported.
    static func v11(_ db: Database) throws {
        var columns: [String] = []
        try db.query("SELECT name FROM pragma_table_info('messages')") { columns.append($0.text(0)) }
        if !columns.contains("direction") {
            try db.execute("""
                ALTER TABLE messages ADD COLUMN direction TEXT NOT NULL DEFAULT 'incoming' CHECK (direction IN ('incoming','outgoing'));
                ALTER TABLE messages ADD COLUMN source TEXT NOT NULL DEFAULT 'webhook' CHECK (source IN ('webhook','oa-import'));
                ALTER TABLE messages ADD COLUMN sender_name TEXT;
                """)
        }
        try db.execute("""
            CREATE INDEX IF NOT EXISTS messages_by_chat_sent ON messages(chat_id, sent_at_ms);
            CREATE TABLE IF NOT EXISTS profile_names (
                user_id       TEXT NOT NULL,
                display_name  TEXT NOT NULL,
                seen_at_ms    INTEGER NOT NULL,
                PRIMARY KEY (user_id, display_name)
            ) STRICT, WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS profile_names_by_name ON profile_names(display_name);
            INSERT OR IGNORE INTO profile_names(user_id, display_name, seen_at_ms)
                SELECT user_id, display_name, coalesce(fetched_at_ms, 0) FROM profiles WHERE chat_id = '' AND display_name IS NOT NULL;
            CREATE TABLE IF NOT EXISTS import_names (
                channel       TEXT NOT NULL,
                display_name  TEXT NOT NULL,
                chat_id       TEXT NOT NULL,
                mapped_at_ms  INTEGER NOT NULL,
                PRIMARY KEY (channel, display_name)
            ) STRICT, WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS import_files (
                sha256        TEXT NOT NULL,
                channel       TEXT NOT NULL,
                name          TEXT NOT NULL,
                chat_id       TEXT NOT NULL,
                message_id    TEXT NOT NULL,
                rows          INTEGER NOT NULL,
                imported_at_ms INTEGER NOT NULL,
                PRIMARY KEY (sha256, channel, name)
            ) STRICT, WITHOUT ROWID;
            """)
    }

    /// The organisation's own retention: tags on chats and messages, and legal holds (a hold
    /// is a rule over messages, kept with its release, never deleted).
    static let v12 = """
    CREATE TABLE IF NOT EXISTS chat_tags (
        chat_id      TEXT NOT NULL,
        tag          TEXT NOT NULL,
        added_at_ms  INTEGER NOT NULL,
        added_by     TEXT NOT NULL,
        PRIMARY KEY (chat_id, tag)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS chat_tags_by_tag ON chat_tags(tag);
    CREATE TABLE IF NOT EXISTS message_tags (
        message_id   TEXT NOT NULL,
        tag          TEXT NOT NULL,
        added_at_ms  INTEGER NOT NULL,
        added_by     TEXT NOT NULL,
        PRIMARY KEY (message_id, tag)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS message_tags_by_tag ON message_tags(tag);
    CREATE TABLE IF NOT EXISTS holds (
        name            TEXT PRIMARY KEY,
        reason          TEXT NOT NULL,
        chats           TEXT NOT NULL,   -- JSON array of chat ids; [] for any
        users           TEXT NOT NULL,   -- JSON array of user ids; [] for any
        channel         TEXT,
        since_ms        INTEGER,
        until_ms        INTEGER,
        tag             TEXT,
        created_at_ms   INTEGER NOT NULL,
        created_by      TEXT NOT NULL,
        released_at_ms  INTEGER,
        released_by     TEXT,
        release_reason  TEXT
    ) STRICT;
    """

    /// Purge and erasure: what is left of each purged message (a tombstone, decided before
    /// anything is removed, done once every copy is gone), each segment a purge rewrote, and
    /// delivered exports whose files a keep rule removed.
    static let v13: @Sendable (Database) throws -> Void = { db in
        try db.execute("""
            CREATE TABLE IF NOT EXISTS tombstones (
                message_id    TEXT PRIMARY KEY,
                kind          TEXT NOT NULL,
                chat_type     TEXT NOT NULL,
                chat_id       TEXT NOT NULL,
                sender_id     TEXT,
                channel       TEXT NOT NULL,
                direction     TEXT NOT NULL,
                sent_at_ms    INTEGER NOT NULL,
                unsent_at_ms  INTEGER,
                action        TEXT NOT NULL CHECK (action IN ('purge','redact','erase')),
                rule          TEXT NOT NULL,
                purged_at_ms  INTEGER NOT NULL,
                content_bytes INTEGER NOT NULL,
                done          INTEGER NOT NULL DEFAULT 0
            ) STRICT, WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS tombstones_pending ON tombstones(done) WHERE done = 0;
            -- import's guard: a backup row of a chat and second a purge took
            CREATE INDEX IF NOT EXISTS tombstones_by_chat_sent ON tombstones(chat_id, sent_at_ms);
            CREATE TABLE IF NOT EXISTS segment_rewrites (
                seq        INTEGER NOT NULL,
                at_ms      INTEGER NOT NULL,
                old_path   TEXT NOT NULL,
                old_sha256 TEXT NOT NULL,
                new_path   TEXT NOT NULL,
                new_sha256 TEXT NOT NULL,
                removed    TEXT NOT NULL     -- JSON array of message ids
            ) STRICT;
            """)
        // A ledger with nothing in it yet holds no bytes an earlier delete left behind (writers
        // run with secure_delete from here on): its first purge need not VACUUM.
        if try db.scalar("SELECT (SELECT count(*) FROM raw_events) + (SELECT count(*) FROM messages) + (SELECT freelist_count FROM pragma_freelist_count)") == 0 {
            try db.run("INSERT INTO meta(key, value) VALUES ('purge_vacuumed', '1') ON CONFLICT(key) DO NOTHING")
        }
        var columns: [String] = []
        try db.query("SELECT name FROM pragma_table_info('exports')") { columns.append($0.text(0)) }
        if !columns.contains("purged_at_ms") {
            try db.execute("ALTER TABLE exports ADD COLUMN purged_at_ms INTEGER; ALTER TABLE exports ADD COLUMN purge_rule TEXT")
        }
    }

    /// The console's count of the week's losses: lost messages by their last change, which is
    /// never before the loss (see `LedgerConsole.lostCounts`). Partial, so it holds the lost rows
    /// alone and writes to other messages never touch it; without it each count read every message.
    static let v14 = """
    CREATE INDEX IF NOT EXISTS messages_lost ON messages(updated_at_ms) WHERE state = 'lost';
    """

    private static func orChain(_ column: String, _ values: [String]) -> String {
        values.map { "\(column) = '\($0)'" }.joined(separator: " OR ")
    }
}

extension Database {
    /// Applies the migrations this database has not seen, each in its own transaction.
    /// - Parameter version: stop there instead of at the latest (tests of a migration).
    func migrate(upTo version: Int = Migrations.all.count) throws(LedgerError) {
        do {
            let current = try userVersion
            guard current <= Migrations.all.count else {
                throw LedgerError.schemaTooNew(found: current, supported: Migrations.all.count)
            }
            for (index, migration) in Migrations.all.enumerated() where index + 1 > current && index < version {
                try transaction {
                    try migration(self)
                    try setUserVersion(index + 1)
                }
            }
        } catch let error as LedgerError {
            throw error
        } catch {
            throw LedgerError.wrap(error)
        }
    }
}

extension Database {
    /// Throws unless the schema is this version's: a reader cannot upgrade it.
    func checkSchemaIsCurrent(path: String) throws(LedgerError) {
        let found: Int
        do { found = try userVersion } catch { throw LedgerError.wrap(error, path: path) }
        if found > Migrations.all.count { throw .schemaTooNew(found: found, supported: Migrations.all.count) }
        if found < Migrations.all.count { throw .schemaOutdated(path: path, found: found, current: Migrations.all.count) }
    }
}
