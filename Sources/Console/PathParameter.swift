import Store
import TalkVaultDomain

/// Every value taken from a path or a query is checked against what it can be before it is
/// used: no `../`, no control characters, nothing over-long, numbers that are numbers.
enum PathParameter {
    /// LINE's message ids are digits; imported ones `oa-…`: letters, digits, `-` and `_`.
    static func messageId(_ raw: String?) -> String? { token(raw, max: 64) }

    /// LINE's chat ids (U, C or R and 32 hex digits), and the provisional ids of imported chats.
    static func chat(_ raw: String?) -> String? { token(raw, max: 80) }

    /// `MILLISECONDS.ID`: the place a page of a conversation continues from.
    static func cursor(_ raw: String?) -> PageCursor? {
        guard let raw, raw.utf8.count <= 90 else { return nil }
        let parts = raw.split(separator: ".", maxSplits: 1)
        guard parts.count == 2, parts[0].utf8.count <= 15, parts[0].utf8.allSatisfy({ (0x30...0x39).contains($0) }),
              let ms = Int64(parts[0]), let id = messageId(String(parts[1])) else { return nil }
        return PageCursor(sentAt: Instant(milliseconds: ms), id: id)
    }

    static func text(_ cursor: PageCursor) -> String { "\(cursor.sentAt.milliseconds).\(cursor.id)" }

    /// `2026-W47`, a real week.
    static func week(_ raw: String?) -> ISOWeek? {
        guard let raw, raw.utf8.count == 8 else { return nil }
        return ISOWeek(parsing: raw)
    }

    /// A channel's name as the config spells them.
    static func channel(_ raw: String?) -> String? { token(raw, max: 64) }

    private static func token(_ raw: String?, max: Int) -> String? {
        guard let raw, !raw.isEmpty, raw.utf8.count <= max,
              raw.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) || $0 == 0x2D || $0 == 0x5F })
        else { return nil }
        return raw
    }
}
