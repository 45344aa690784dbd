import SQLiteDB
import Store
import TalkVaultDomain

extension LedgerExports: ExportRedactionStore {
    public func exportedCopies(of ids: [String]) throws(LedgerError) -> [ExportedCopy] {
        var copies: [ExportedCopy] = []
        do {
            for chunk in SQLLists.chunks(ids) {
                try db.query("""
                    SELECT \(Self.messageRowColumns), x.profile, x.week, d.path
                    \(Self.messageRowJoins)
                    JOIN exported_messages x ON x.message_id = m.id
                    JOIN exports d ON d.week = x.week AND d.profile = x.profile AND d.purged_at_ms IS NULL
                    WHERE m.id IN (\(SQLLists.placeholders(chunk.count)))
                    """, chunk.map { .text($0) }) { row in
                    copies.append(ExportedCopy(row: Self.exportRow(row), key: row.text(21), week: row.text(22), path: row.text(23)))
                }
            }
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
        return copies
    }

    public func recordRedaction(week: String, key: String, sha256: String, rows: Int) throws(LedgerError) {
        do {
            try db.run("UPDATE exports SET sha256 = ?3, rows = ?4 WHERE week = ?1 AND profile = ?2",
                       [.text(week), .text(key), .text(sha256), .int(rows)])
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }
}
