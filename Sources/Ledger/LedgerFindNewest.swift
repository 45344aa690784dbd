import SQLiteDB
import Store

extension LedgerSearch {
    /// Past this many matches a text is common, and its newest page is found by walking the
    /// messages newest first rather than by sorting every match: at 5,000 matches in a million
    /// the walk meets 50 of them within about 10,000 messages; below it, sorting is cheaper.
    static let commonMatches = 5_000

    /// The ids of the newest page of a text-only search whose text is common, newest first; nil
    /// when the usual plan is as fast (few matches, other filters, oldest first). Sorting a
    /// quarter of a million matches to show fifty took seconds; this walk takes milliseconds.
    func newestCommonTextPage(_ query: FindQuery, commonAt threshold: Int = commonMatches) throws -> [String]? {
        guard query.newestFirst, let text = query.text, !text.isEmpty, let limit = query.limit else { return nil }
        var onlyText = FindQuery()
        onlyText.text = text
        onlyText.limit = limit
        onlyText.newestFirst = true
        onlyText.after = query.after
        guard query == onlyText else { return nil }
        try attachSearchIndex()
        let (rowids, value) = Self.searchRowids(text, parameter: "?1")
        guard try db.scalar("SELECT count(*) FROM (\(rowids) LIMIT \(threshold + 1))", [value]) > threshold else { return nil }
        // The same test as `searchClause`, asked of each message the walk meets, in its indexed
        // words: a substring (LIKE where ASCII letters fold case, as the trigram index folds
        // them). A needle with other letters that have case keeps the index's own folding: the
        // matches as a set of rows, built once from the index alone.
        let words = "(SELECT c0 FROM search.message_search_content WHERE id = l.search_rowid)"
        let probe: String
        var values: [SQLValue]
        if text.unicodeScalars.contains(where: { !$0.isASCII && $0.properties.changesWhenCaseMapped }) {
            probe = "l.search_rowid IN (\(rowids))"
            values = [value]
        } else if text.unicodeScalars.contains(where: { $0.isASCII && $0.properties.isAlphabetic }) {
            probe = "\(words) LIKE ?1 ESCAPE '\\'"
            values = [.text(Self.likePattern(text))]
        } else {
            probe = "instr(\(words), ?1) > 0"
            values = [.text(text)]
        }
        var sql = "SELECT m.id FROM messages m JOIN search.message_lookup l ON l.message_id = m.id WHERE \(probe)"
        if let after = query.after {
            values += [.integer(after.sentAt.milliseconds), .text(after.id)]
            sql += " AND (m.sent_at_ms, m.id) < (?2, ?3)"
        }
        values.append(.integer(Int64(limit)))
        sql += " ORDER BY m.sent_at_ms DESC, m.id DESC LIMIT ?\(values.count)"
        var ids: [String] = []
        try db.query(sql, values) { ids.append($0.text(0)) }
        return ids
    }
}
