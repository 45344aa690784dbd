import Foundation
import SQLiteDB
import Store
import TalkVaultDomain

extension LedgerSearch {
    /// The messages matching `query`, oldest first (newest first if asked), streamed. `after`
    /// starts strictly past a place in that order: a keyset page, as cheap far in as at the
    /// start. `--chat`, `--user` and `--text` see what `indexLookupBatch` has indexed:
    /// `Lookup.Finder` catches up first. Reads only: the search index is a database of its own
    /// (see `LedgerSearchIndex.swift`).
    public func find(_ query: FindQuery, _ body: (FoundMessage) throws -> Void) throws(LedgerError) {
        do {
            if let ids = try newestCommonTextPage(query) {
                guard !ids.isEmpty else { return }
                let marks = ids.indices.map { "?\($0 + 1)" }.joined(separator: ",")
                try db.query(Self.foundSelect + "\nWHERE m.id IN (\(marks))\nORDER BY m.sent_at_ms DESC, m.id DESC", ids.map { .text($0) }) {
                    try body(Self.found($0))
                }
                return
            }
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
        var (filter, values) = Self.filter(try resolved(query))
        let order = query.newestFirst ? " DESC" : ""
        if let after = query.after {
            values += [.integer(after.sentAt.milliseconds), .text(after.id)]
            filter += (filter.isEmpty ? "\nWHERE " : "\n  AND ")
                + "(m.sent_at_ms, m.id) \(query.newestFirst ? "<" : ">") (?\(values.count - 1), ?\(values.count))"
        }
        var sql = Self.foundSelect + filter + "\nORDER BY m.sent_at_ms\(order), m.id\(order)"
        if let limit = query.limit {
            values.append(.integer(Int64(limit)))
            sql += "\nLIMIT ?\(values.count)"
        }
        do {
            try db.query(sql, values) { try body(Self.found($0)) }
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    /// `find`'s SELECT up to its WHERE (alias `m` for messages): an export row, then where the
    /// message's download waits and which segment holds its record. Shared with the console,
    /// which lists messages exactly as `find` does.
    static let foundSelect = "SELECT " + LedgerExports.messageRowColumns + ", m.staged_file, m.content_size, rs.path, m.read_by\n"
        + LedgerExports.messageRowJoins + """

        LEFT JOIN archived_items ra ON ra.message_id = m.id AND ra.part = 'record'
        LEFT JOIN segments rs ON rs.seq = ra.segment_seq
        """

    /// A row of `foundSelect`.
    static func found(_ row: Row) -> FoundMessage {
        FoundMessage(row: LedgerExports.exportRow(row), stagedFile: row.optionalText(21), contentSize: row.optionalInt64(22),
                     recordSegment: row.optionalText(23), readBy: row.optionalText(24))
    }

    /// How many messages match `query` (its limit, order and `after` aside).
    public func count(_ query: FindQuery) throws(LedgerError) -> Int { try count(query, atMost: nil) }

    /// How many messages match `query`, counting no further than `cap` plus one: a page that
    /// says "more than 10,000" need not count a quarter of a million.
    public func count(_ query: FindQuery, atMost cap: Int?) throws(LedgerError) -> Int {
        let limit = cap.map { " LIMIT \($0 + 1)" } ?? ""
        do {
            var onlyText = FindQuery()
            onlyText.text = query.text
            onlyText.limit = query.limit
            onlyText.newestFirst = query.newestFirst
            onlyText.after = query.after
            if let text = query.text, !text.isEmpty, query == onlyText {
                // The index alone answers: a quarter of a million matches need not touch messages.
                try attachSearchIndex()
                let (select, value) = Self.searchRowids(text, parameter: "?1")
                return Int(try db.scalar("SELECT count(*) FROM (\(select)\(limit))", [value]))
            }
            let (filter, values) = Self.filter(try resolved(query))
            return Int(try db.scalar("SELECT count(*) FROM (SELECT 1 FROM messages m" + filter + limit + ")", values))
        } catch let error as LedgerError {
            throw error
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    /// `query` with `--chat` and `--user` turned into the ids they stand for: the id itself, and
    /// the chats or users whose name contains the text.
    func resolved(_ query: FindQuery) throws(LedgerError) -> ResolvedQuery {
        var query = ResolvedQuery(query: query)
        do {
            if query.query.chat != nil || query.query.user != nil || query.query.text != nil { try attachSearchIndex() }
            // A LINE id (U, C or R and 32 hex digits) is taken as it is: no name scan.
            if let chat = query.query.chat {
                var ids: Set<String> = [chat]
                if !Self.isLINEId(chat) {
                    try db.query("SELECT chat_id FROM chats WHERE name LIKE ?1 ESCAPE '\\'", [.text(Self.likePattern(chat))]) { ids.insert($0.text(0)) }
                }
                query.chats = ids.sorted()
            }
            if let user = query.query.user {
                var ids: Set<String> = [user]
                if !Self.isLINEId(user) {
                    // A plain scan: DISTINCT would walk the primary key and fetch every row out of order.
                    try db.query("SELECT user_id FROM profiles WHERE display_name LIKE ?1 ESCAPE '\\'", [.text(Self.likePattern(user))]) {
                        ids.insert($0.text(0))
                    }
                }
                query.users = ids.sorted()
            }
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
        return query
    }

    /// The WHERE clause (with a leading newline, or empty) and its values for `query`'s filters.
    static func filter(_ resolved: ResolvedQuery) -> (String, [SQLValue]) {
        let query = resolved.query
        var clauses: [String] = []
        var values: [SQLValue] = []
        func bind(_ value: SQLValue) -> String {
            values.append(value)
            return "?\(values.count)"
        }
        if !query.ids.isEmpty {
            clauses.append("m.id IN (\(query.ids.map { bind(.text($0)) }.joined(separator: ",")))")
        }
        // Names were resolved to ids beforehand, so these are range scans of message_lookup's
        // (chat or sender, time) indexes, with the time bounds inside.
        for (column, ids) in [("chat_id", resolved.chats), ("sender_id", resolved.users)] {
            guard let ids else { continue }
            var lookup = "SELECT message_id FROM search.message_lookup WHERE \(column) IN (\(ids.map { bind(.text($0)) }.joined(separator: ",")))"
            if let since = query.since { lookup += " AND sent_at_ms >= \(bind(.integer(since.milliseconds)))" }
            if let until = query.until { lookup += " AND sent_at_ms < \(bind(.integer(until.milliseconds)))" }
            clauses.append("m.id IN (\(lookup))")
        }
        if !query.channels.isEmpty {
            clauses.append("m.channel IN (\(query.channels.map { bind(.text($0)) }.joined(separator: ",")))")
        }
        if let tag = query.tag {
            let t = bind(.text(tag))
            clauses.append("(EXISTS (SELECT 1 FROM message_tags x WHERE x.message_id = m.id AND x.tag = \(t)) "
                           + "OR EXISTS (SELECT 1 FROM chat_tags y WHERE y.chat_id = m.chat_id AND y.tag = \(t)))")
        }
        if !query.directions.isEmpty {
            clauses.append("m.direction IN (\(query.directions.map { bind(.text($0.rawValue)) }.joined(separator: ",")))")
        }
        if !query.kinds.isEmpty {
            clauses.append("m.kind IN (\(query.kinds.map { bind(.text($0.rawValue)) }.joined(separator: ",")))")
        }
        if !query.states.isEmpty {
            let alternatives = query.states.map { state -> String in
                if state.hasPrefix("lost:") {
                    return "(m.state = 'lost' AND m.reason = \(bind(.text(String(state.dropFirst(5))))))"
                }
                return state == "edited" ? "m.edited = 1" : "m.state = \(bind(.text(state)))"
            }
            clauses.append("(" + alternatives.joined(separator: " OR ") + ")")
        }
        if let since = query.since { clauses.append("m.sent_at_ms >= \(bind(.integer(since.milliseconds)))") }
        if let until = query.until { clauses.append("m.sent_at_ms < \(bind(.integer(until.milliseconds)))") }
        if let text = query.text, !text.isEmpty {
            let (select, value) = searchClause(text, parameter: "?\(values.count + 1)")
            values.append(value)
            clauses.append("m.id IN (\(select))")
        }
        return (clauses.isEmpty ? "" : "\nWHERE " + clauses.joined(separator: "\n  AND "), values)
    }

    /// The ids of the messages whose indexed words hold `text`: trigrams answer MATCH for three characters
    /// or more. Shorter needles scan the indexed bodies in FTS5's content table (`%_content`,
    /// columns `c0`, `c1`… as FTS5 documents it), which is twice as fast as scanning through
    /// the virtual table: `instr` where case cannot matter, LIKE (ASCII case folded) else.
    static func searchClause(_ text: String, parameter: String) -> (String, SQLValue) {
        if text.count >= 3 { return ("SELECT message_id FROM search.message_search WHERE message_search MATCH \(parameter)", .text(phrase(text))) }
        // In the content table, c0 is body and c1 message_id.
        if text.unicodeScalars.contains(where: { $0.isASCII && $0.properties.isAlphabetic }) {
            return ("SELECT c1 FROM search.message_search_content WHERE c0 LIKE \(parameter) ESCAPE '\\'", .text(likePattern(text)))
        }
        return ("SELECT c1 FROM search.message_search_content WHERE instr(c0, \(parameter)) > 0", .text(text))
    }

    /// `searchClause` selecting the index's row numbers: counting them reads no stored row.
    static func searchRowids(_ text: String, parameter: String) -> (String, SQLValue) {
        let (select, value) = searchClause(text, parameter: parameter)
        return (select.replacingOccurrences(of: "SELECT message_id FROM", with: "SELECT rowid FROM")
            .replacingOccurrences(of: "SELECT c1 FROM", with: "SELECT id FROM"), value)
    }

    /// `U`, `C` or `R` followed by 32 lowercase hex digits: how LINE spells user, group and room ids.
    static func isLINEId(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.count == 33 && [0x55, 0x43, 0x52].contains(bytes[0])
            && bytes.dropFirst().allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// `%needle%` with LIKE's wildcards escaped.
    static func likePattern(_ needle: String) -> String {
        var escaped = ""
        for character in needle {
            if character == "%" || character == "_" || character == "\\" { escaped.append("\\") }
            escaped.append(character)
        }
        return "%" + escaped + "%"
    }

    /// An FTS5 phrase: the needle in double quotes, its quotes doubled, so no query syntax applies.
    static func phrase(_ needle: String) -> String {
        "\"" + needle.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// A query with `--chat` and `--user` turned into the ids they stand for.
struct ResolvedQuery {
    var query: FindQuery
    var chats: [String]?
    var users: [String]?
}
