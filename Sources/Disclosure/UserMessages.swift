import Lookup
import Store
import TalkVaultDomain

/// Everything one user's disclosure lists, oldest first: every message of their 1:1 chat (both
/// sides), and the messages they sent in groups and rooms (only theirs: the other members'
/// messages are other people's data).
///
/// `find` answers one filter set at a time, so the two are two queries, merged here by (sent
/// time, id), the order `find` itself uses. Each is read a page at a time from where the last
/// page ended, so memory holds two pages, never the result.
struct UserMessages {
    /// Which of the two a message came through.
    enum Part { case chat, elsewhere }

    private var chat: PagedQuery
    private var elsewhere: PagedQuery

    init(store: any SearchStore, userId: String, pageSize: Int = 500) {
        // The filters also match names that contain the text (a chat's, a display name): only the
        // exact ids pass.
        var inChat = FindQuery()
        inChat.chat = userId
        chat = PagedQuery(store: store, query: inChat, pageSize: pageSize) { $0.chatType == ChatType.user.rawValue && $0.chatId == userId }
        var bySender = FindQuery()
        bySender.user = userId
        elsewhere = PagedQuery(store: store, query: bySender, pageSize: pageSize) {
            $0.senderId == userId && !($0.chatType == ChatType.user.rawValue && $0.chatId == userId)
        }
    }

    /// Whether there is any message at all (reads the first page of each, which `next` then uses).
    mutating func hasAny() throws(LedgerError) -> Bool {
        if try chat.peek() != nil { return true }
        return try elsewhere.peek() != nil
    }

    /// The next message of either, the older first; nil at the end.
    mutating func next() throws(LedgerError) -> (FoundMessage, Part)? {
        let a = try chat.peek(), b = try elsewhere.peek()
        switch (a, b) {
        case (nil, nil): return nil
        case (let a?, nil): chat.advance(); return (a, .chat)
        case (nil, let b?): elsewhere.advance(); return (b, .elsewhere)
        case (let a?, let b?):
            if PagedQuery.Key(b.row).precedes(PagedQuery.Key(a.row)) { elsewhere.advance(); return (b, .elsewhere) }
            chat.advance()
            return (a, .chat)
        }
    }
}

/// One `find` query read a page at a time, by keyset: each page starts at the last one's sent
/// time, and rows at or before the last one's (time, id) are skipped.
struct PagedQuery {
    /// `find`'s order: sent time, then id as SQLite compares text (bytes).
    struct Key {
        var ms: Int64
        var id: [UInt8]

        init(_ row: ExportRow) {
            ms = row.sentAt.milliseconds
            id = Array(row.id.utf8)
        }

        func precedes(_ other: Key) -> Bool { ms != other.ms ? ms < other.ms : id.lexicographicallyPrecedes(other.id) }
    }

    let store: any SearchStore
    let query: FindQuery
    var pageSize: Int
    let keep: (ExportRow) -> Bool
    private var page: [FoundMessage] = []
    private var position = 0
    private var last: Key?
    private var done = false

    init(store: any SearchStore, query: FindQuery, pageSize: Int, keep: @escaping (ExportRow) -> Bool) {
        self.store = store
        self.query = query
        self.pageSize = max(1, pageSize)
        self.keep = keep
    }

    mutating func peek() throws(LedgerError) -> FoundMessage? {
        while position == page.count && !done { try fetch() }
        return position < page.count ? page[position] : nil
    }

    mutating func advance() { position += 1 }

    private mutating func fetch() throws(LedgerError) {
        var next = query
        next.since = last.map { Instant(milliseconds: $0.ms) }
        next.limit = pageSize
        var kept: [FoundMessage] = []
        var returned = 0, fresh = 0
        var newest = last
        let after = last, keep = self.keep
        try store.find(next) { found in
            returned += 1
            let key = Key(found.row)
            if let after, !after.precedes(key) { return }
            fresh += 1
            newest = key
            if keep(found.row) { kept.append(found) }
        }
        page = kept
        position = 0
        last = newest
        if returned < pageSize {
            done = true
        } else if fresh == 0 {
            // A whole page of one millisecond already read: read further at once.
            pageSize *= 2
        }
    }
}
