import SQLiteDB
import Store
import TalkVaultDomain

extension LedgerCapture {
    /// Stores the events of several webhook bodies in one transaction (one fsync), and returns
    /// what each body did. Idempotent: storing the same events again changes nothing but the
    /// delivery counts. All of the batch is committed, or none of it.
    /// - Parameter autoRead: LINE's `markAsReadMode` is `auto`: new messages count as read on arrival.
    public func capture(_ bodies: [CapturedBody], receivedAt: Instant, autoRead: Bool) throws(LedgerError) -> [CaptureCounts] {
        var seen = Seen()
        let result = try transaction {
            var applied = AppliedBodies(autoRead: autoRead)
            let counts = try bodies.map { try storeBody($0, receivedAt: receivedAt, seen: &seen, applied: &applied) }
            try applied.finish(ledger)
            return counts
        }
        remember(seen)
        return result
    }

    /// Stores one body's events; the caller holds a transaction.
    func storeBody(_ body: CapturedBody, receivedAt: Instant, seen: inout Seen, applied: inout AppliedBodies) throws -> CaptureCounts {
        ledger.newMessageIds.removeAll(keepingCapacity: true)
        var counts = CaptureCounts()
        if let destination = body.destination, !destination.isEmpty {
            let key = body.channel + "\u{0}" + destination
            if !ledger.knownDestinations.contains(key), seen.destinations.insert(key).inserted {
                // The latest verified body wins: only LINE (holding the channel's secret) signs
                // a body for that channel's bot, and serve refuses two channels with one secret.
                // So an account renamed in the config (the `default` of before `channels:`, say)
                // takes its bot id along, and the name it had lets go of it.
                try db.run("INSERT OR REPLACE INTO channels(name, destination, learned_at_ms) VALUES (?1, ?2, ?3)",
                           [.text(body.channel), .text(destination), .integer(receivedAt.milliseconds)])
            }
        }
        for event in body.events {
            try store(event, destination: body.destination, channel: body.channel, receivedAt: receivedAt, counts: &counts, seen: &seen)
        }
        if applied.autoRead {
            for id in ledger.newMessageIds { applied.newMessages.append((id, receivedAt.milliseconds)) }
        }
        return counts
    }

    /// Marks committed chats and profiles as known, so later captures skip their upserts.
    func remember(_ seen: Seen) {
        ledger.knownChats.formUnion(seen.chats)
        ledger.knownProfiles.formUnion(seen.profiles)
        ledger.knownDestinations.formUnion(seen.destinations)
    }

    /// The bot user id each channel's verified bodies carried, by channel name.
    public func channelDestinations() throws(LedgerError) -> [String: String] {
        do {
            var result: [String: String] = [:]
            try db.query("SELECT name, destination FROM channels WHERE destination IS NOT NULL") { result[$0.text(0)] = $0.text(1) }
            return result
        } catch {
            throw LedgerError.wrap(error, path: path)
        }
    }

    /// What a transaction of bodies still owes at its end.
    struct AppliedBodies {
        /// LINE's `markAsReadMode` is `auto`: new messages count as read on arrival.
        var autoRead: Bool
        var newMessages: [(String, Int64)] = []

        func finish(_ ledger: Ledger) throws {
            for (id, at) in newMessages {
                try ledger.db.run("UPDATE messages SET read_at_ms = ?2, read_by = 'line:auto' WHERE id = ?1 AND read_at_ms IS NULL",
                                  [.text(id), .integer(at)])
            }
        }
    }

    /// Chats and profiles written by the current transaction.
    struct Seen {
        var chats: Set<String> = []
        var profiles: Set<String> = []
        var destinations: Set<String> = []
    }

    private func store(_ event: CapturedEvent, destination: String?, channel: String, receivedAt: Instant, counts: inout CaptureCounts,
                       seen: inout Seen) throws {
        counts.eventsRead += 1
        let disposition: String, invalidReason: String?
        switch event.payload {
        case .message: (disposition, invalidReason) = ("message", nil)
        case .edit: (disposition, invalidReason) = ("edit", nil)
        case .unsend: (disposition, invalidReason) = ("unsend", nil)
        case .other: (disposition, invalidReason) = ("other", nil)
        case .unknownType: (disposition, invalidReason) = ("unknown", nil)
        case .invalid(let reason): (disposition, invalidReason) = ("invalid", reason)
        }
        // An event whose id is stored with other content (a conflict: LINE's own imageSet example
        // gives two images one webhookEventId) is stored and applied under `<id>#<fingerprint>`.
        // The message id is a message's identity; an event id seen before never drops a message.
        // The derived id keeps capture idempotent: the same conflicting event again is a duplicate.
        var event = event
        let webhookEventId = event.eventId
        var seq: Int64 = 0
        while true {
            // No RETURNING: SQLite buffers returned rows in a temporary table, and creating one per
            // statement cost more than the insert (a fresh page cache each time, faulted in).
            let inserted = try db.run("""
                INSERT INTO raw_events(event_id, type, timestamp_ms, received_at_ms, mode, chat_id, sender_id, destination,
                                       redelivered, disposition, invalid_reason, fingerprint, body, channel)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
                ON CONFLICT(event_id) DO NOTHING
                """, [.text(event.eventId), .text(event.type), .integer(event.timestamp.milliseconds),
                      .integer(receivedAt.milliseconds), .text(event.mode), .text(event.chat?.id), .text(event.senderId),
                      .text(destination), .bool(event.isRedelivery), .text(disposition), .text(invalidReason),
                      .text(event.fingerprint), .text(event.rawJSON), .text(channel)])
            if inserted > 0 {
                seq = db.lastInsertRowID
                break
            }
            let stored = try db.first("SELECT seq, fingerprint FROM raw_events WHERE event_id = ?1", [.text(event.eventId)]) {
                ($0.int64(0), $0.text(1))
            }
            if let stored, stored.1 == event.fingerprint {
                try storeDuplicate(event, seq: stored.0, receivedAt: receivedAt, counts: &counts)
                return
            }
            event.eventId += "#" + event.fingerprint
        }
        if event.eventId != webhookEventId {
            counts.conflictingEvents += 1
            try db.run("""
                INSERT INTO event_conflicts(event_id, received_at_ms, fingerprint, body) VALUES (?1, ?2, ?3, ?4)
                ON CONFLICT DO NOTHING
                """, [.text(webhookEventId), .integer(receivedAt.milliseconds), .text(event.fingerprint), .text(event.rawJSON)])
        }
        counts.newEvents += 1
        if let chat = event.chat {
            if !ledger.knownChats.contains(chat.id), seen.chats.insert(chat.id).inserted {
                try db.run("INSERT INTO chats(chat_id, chat_type, first_seen_ms, channel) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
                           [.text(chat.id), .text(chat.type.rawValue), .integer(event.timestamp.milliseconds), .text(channel)])
            }
            if let sender = event.senderId {
                // A row to fetch a display name for; 1:1 profiles use chat_id ''.
                let chatKey = chat.type == .user ? "" : chat.id
                let key = sender + "\u{0}" + chatKey
                if !ledger.knownProfiles.contains(key), seen.profiles.insert(key).inserted {
                    try db.run("INSERT INTO profiles(user_id, chat_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                               [.text(sender), .text(chatKey)])
                }
            }
        }
        // A message a purge or an erasure took is not brought back by a later copy, edit or
        // unsend of it: the event keeps its id (a duplicate stays one), not its body.
        let about: String?
        switch event.payload {
        case .message(let message), .edit(let message): about = message.id
        case .unsend(let messageId): about = messageId
        default: about = nil
        }
        if let about, try db.scalar("SELECT EXISTS (SELECT 1 FROM tombstones WHERE message_id = ?1)", [.text(about)]) != 0 {
            try db.run("UPDATE raw_events SET body = '' WHERE seq = ?1", [.integer(seq)])
            return
        }
        if event.isRedelivery, case .message(let message) = event.payload {
            // The first copy we saw was already a retry: LINE's first attempt never arrived.
            try history(message.id, at: receivedAt, "redelivered", detail: event.eventId)
        }
        switch event.payload {
        case .message(let message):
            try storeMessage(message, event: event, channel: channel, seq: seq, receivedAt: receivedAt, counts: &counts)
        case .edit(let message):
            try storeEdit(message, event: event, channel: channel, seq: seq, receivedAt: receivedAt, counts: &counts)
        case .unsend(let messageId):
            try storeUnsend(messageId, event: event, seq: seq, receivedAt: receivedAt, counts: &counts)
        case .other:
            break
        case .unknownType:
            counts.unknownTypes += 1
        case .invalid:
            counts.invalidEvents += 1
        }
    }

    /// A delivery of an event already stored with the same content: a redelivery or the same
    /// bytes again. Only LINE's own flag is noted.
    private func storeDuplicate(_ event: CapturedEvent, seq: Int64, receivedAt: Instant, counts: inout CaptureCounts) throws {
        counts.duplicateEvents += 1
        // Only LINE's own flag counts: the same bytes ingested again are not news.
        guard event.isRedelivery else { return }
        try db.run("UPDATE raw_events SET redelivered = 1 WHERE seq = ?1 AND redelivered = 0", [.integer(seq)])
        if case .message(let message) = event.payload {
            try history(message.id, at: receivedAt, "redelivered", detail: event.eventId)
        }
    }

    private func storeMessage(_ message: CapturedMessage, event: CapturedEvent, channel: String, seq: Int64, receivedAt: Instant,
                              counts: inout CaptureCounts) throws {
        guard let chat = event.chat else { return }
        if message.kind == .unknown { counts.unknownMessageTypes += 1 }
        let deadline = policy.deadline(sentAt: event.timestamp, kind: message.kind, chat: chat.type, channel: channel)
        let initial = MessageState.initial(kind: message.kind, unsent: false).rawValue
        // The pending unsend and edits are folded into the insert, so arrival order does not matter.
        let inserted = try db.run("""
            INSERT INTO messages(id, kind, line_type, chat_type, chat_id, sender_id, sent_at_ms, deadline_ms, state,
                                 text, original_text, content_provider, content_url, file_name, file_size,
                                 mark_as_read_token, origin, edited, unsent_at_ms, event_seq, captured_at_ms, updated_at_ms, channel)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,
                    CASE WHEN EXISTS(SELECT 1 FROM unsends WHERE message_id = ?1) THEN 'unsent' ELSE ?9 END,
                    ?10, ?10, ?11, ?12, ?13, ?14, ?15, 'message',
                    EXISTS(SELECT 1 FROM message_edits WHERE message_id = ?1),
                    (SELECT unsent_at_ms FROM unsends WHERE message_id = ?1), ?16, ?17, ?17, ?18)
            ON CONFLICT(id) DO NOTHING
            """, messageValues(message, chat: chat, sender: event.senderId, sentAt: event.timestamp, deadline: deadline) +
                [.text(initial), .text(message.text), .text(message.contentProvider),
                 .text(message.originalContentURL), .text(message.fileName), .integer(message.fileSize),
                 .text(message.markAsReadToken), .integer(seq), .integer(receivedAt.milliseconds), .text(channel)])
        if inserted > 0 {
            counts.newMessages += 1
            ledger.newMessageIds.append(message.id)
            if try db.scalar("SELECT edited FROM messages WHERE rowid = ?1", [.integer(db.lastInsertRowID)]) != 0 {
                try refreshText(message.id)
            }
            return
        }
        // The id exists. Either an edit arrived first and made a placeholder, or this is a duplicate.
        let upgraded = try db.run("""
            UPDATE messages SET kind = ?2, line_type = ?3, chat_type = ?4, chat_id = ?5, sender_id = ?6,
                   sent_at_ms = ?7, deadline_ms = ?8, original_text = ?9, content_provider = ?10,
                   content_url = ?11, file_name = ?12, file_size = ?13, mark_as_read_token = ?14, origin = 'message',
                   event_seq = ?15, updated_at_ms = ?16, channel = ?17
            WHERE id = ?1 AND origin = 'edit'
            """, messageValues(message, chat: chat, sender: event.senderId, sentAt: event.timestamp, deadline: deadline) +
                [.text(message.text), .text(message.contentProvider),
                 .text(message.originalContentURL), .text(message.fileName), .integer(message.fileSize),
                 .text(message.markAsReadToken), .integer(seq), .integer(receivedAt.milliseconds), .text(channel)])
        if upgraded > 0 {
            counts.newMessages += 1
            try refreshText(message.id)
        } else {
            counts.duplicateMessages += 1
            try history(message.id, at: receivedAt, "same message id in another event", detail: event.eventId)
        }
    }

    private func messageValues(_ message: CapturedMessage, chat: ChatRef, sender: String?, sentAt: Instant,
                               deadline: Instant) -> [SQLValue] {
        [.text(message.id), .text(message.kind.rawValue), .text(message.lineType), .text(chat.type.rawValue),
         .text(chat.id), .text(sender), .integer(sentAt.milliseconds), .integer(deadline.milliseconds)]
    }

    private func storeEdit(_ message: CapturedMessage, event: CapturedEvent, channel: String, seq: Int64, receivedAt: Instant,
                           counts: inout CaptureCounts) throws {
        guard let chat = event.chat else { return }
        counts.editsApplied += 1
        try db.run("INSERT INTO message_edits(message_id, edited_at_ms, text, event_seq) VALUES (?1, ?2, ?3, ?4)",
                   [.text(message.id), .integer(event.timestamp.milliseconds), .text(message.text), .integer(seq)])
        try history(message.id, at: receivedAt, "edited", detail: event.eventId)
        let stored = try db.first("SELECT state, kind FROM messages WHERE id = ?1", [.text(message.id)]) {
            (MessageState(rawValue: $0.text(0)) ?? .received, MessageKind(rawValue: $0.text(1)) ?? .unknown)
        }
        if let (state, kind) = stored {
            let next = state.applying(.edited, kind: kind) ?? state
            try db.run("UPDATE messages SET state = ?2, edited = 1, updated_at_ms = ?3 WHERE id = ?1",
                       [.text(message.id), .text(next.rawValue), .integer(receivedAt.milliseconds)])
            try refreshText(message.id)
            return
        }
        // The edit came before its message: keep its text now (webhooks are the only source of
        // text), dated by the edit until the original arrives and corrects it.
        let deadline = policy.deadline(sentAt: event.timestamp, kind: message.kind, chat: chat.type, channel: channel)
        try db.run("""
            INSERT INTO messages(id, kind, line_type, chat_type, chat_id, sender_id, sent_at_ms, deadline_ms, state,
                                 text, origin, edited, unsent_at_ms, event_seq, captured_at_ms, updated_at_ms, channel)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,
                    CASE WHEN EXISTS(SELECT 1 FROM unsends WHERE message_id = ?1) THEN 'unsent' ELSE ?9 END,
                    ?10, 'edit', 1, (SELECT unsent_at_ms FROM unsends WHERE message_id = ?1), ?11, ?12, ?12, ?13)
            """, messageValues(message, chat: chat, sender: event.senderId, sentAt: event.timestamp, deadline: deadline) +
                [.text(MessageState.initial(kind: message.kind, unsent: false).rawValue), .text(message.text),
                 .integer(seq), .integer(receivedAt.milliseconds), .text(channel)])
        try refreshText(message.id)
    }

    /// Sets a message's text to its latest version: the edit with the greatest timestamp, else
    /// the original. Ties are broken by text, so the result does not depend on arrival order.
    private func refreshText(_ id: String) throws {
        try db.run("""
            UPDATE messages SET text = COALESCE(
                (SELECT e.text FROM message_edits e WHERE e.message_id = ?1 AND e.text IS NOT NULL
                 ORDER BY e.edited_at_ms DESC, e.text DESC LIMIT 1), original_text)
            WHERE id = ?1
            """, [.text(id)])
    }

    private func storeUnsend(_ messageId: String, event: CapturedEvent, seq: Int64, receivedAt: Instant,
                             counts: inout CaptureCounts) throws {
        try db.run("INSERT INTO unsends(message_id, unsent_at_ms, event_seq) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
                   [.text(messageId), .integer(event.timestamp.milliseconds), .integer(seq)])
        let changed = try db.run("""
            UPDATE messages SET state = 'unsent', reason = NULL, unsent_at_ms = ?2, updated_at_ms = ?3
            WHERE id = ?1 AND \(StateSQL.from(.unsent, changing: true))
            """, [.text(messageId), .integer(event.timestamp.milliseconds), .integer(receivedAt.milliseconds)])
        try history(messageId, at: receivedAt, "unsent", detail: event.eventId)
        if changed > 0 {
            counts.unsendsApplied += 1
        } else if try db.scalar("SELECT count(*) FROM messages WHERE id = ?1", [.text(messageId)]) == 0 {
            counts.unsendsPending += 1
        }
    }

    private func history(_ messageId: String, at: Instant, _ what: String, detail: String?) throws {
        // Once per (message, what, event): capturing the same events again adds nothing.
        try db.run("INSERT INTO message_history(message_id, at_ms, what, detail) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
                   [.text(messageId), .integer(at.milliseconds), .text(what), .text(detail)])
    }
}
