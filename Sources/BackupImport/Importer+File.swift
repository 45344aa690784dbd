import ChatBackup
import Crypto
import DurableFile
import Foundation
import JSON
import Store
import TalkVaultDomain

extension Importer {
    /// One staged backup file, read whole (a bad one is rejected before anything is stored) and
    /// its chat resolved; its rows are matched and stored with the next batch.
    func importStaged(_ staged: ImportStaging.Staged, path: String, name: String) throws(ImportError) {
        var result = ImportReport.FileResult(path: path, outcome: .imported)
        func finish(_ outcome: ImportReport.Outcome) {
            staging.discard(staged.path)
            result.outcome = outcome
            report.files.append(result)
        }
        if let messageId = try ledger({ try store.importedFile(sha256: staged.sha256, name: name, channel: settings.channel) }) {
            // Its staged copy vanished before a pack took it (a cleaned staging dir): these are
            // the same bytes, so they are staged again rather than lost.
            if !settings.dryRun, try ledger({ try store.bytesMissing(messageId: messageId) }) {
                let stagedFile = try staging.publish(staged, as: messageId)
                try ledger {
                    try store.restage(messageId: messageId, stagedFile: stagedFile, size: staged.size, sha256: staged.sha256, at: clock.now())
                }
                result.outcome = .alreadyImported
                report.files.append(result)
                return
            }
            return finish(.alreadyImported)
        }
        guard var fileName = BackupFileName(name) else {
            return finish(.rejected("the name is not <from>_<to>_<chat name>.csv, as the OA Manager names a chat's backup"))
        }
        // As names are compared: a name copied through macOS arrives decomposed (NFD).
        fileName.displayName = fileName.displayName.precomposedStringWithCanonicalMapping
        let preamble: BackupPreamble
        var rows: [BackupRow] = []
        do {
            let reader = try ChatBackupReader(path: staged.path, name: path)
            preamble = reader.preamble
            while let row = try reader.next() { rows.append(row) }
        } catch {
            return finish(.rejected(error.description))
        }
        result.chatName = fileName.displayName
        result.rows = rows.count
        let inRange = dayRange(fileName, offset: preamble.utcOffsetSeconds)
        rows = rows.filter { row in
            guard let inRange, !inRange.contains(row.sentAt.milliseconds) else { return true }
            result.rejectedRows.append(.init(line: row.line, reason: "sent on a day outside the file's dates \(fileName.from)–\(fileName.to)"))
            return false
        }
        let chatId = try resolveChat(fileName.displayName, rows: rows)
        result.chatId = chatId
        let fileId = "oab-" + Self.hash([settings.channel, staged.sha256, name])
        let stagedFile = settings.dryRun ? staging.relative(staged.path) : try staging.publish(staged, as: fileId)
        report.files.append(result)
        pending.append(PendingFile(report: report.files.count - 1, rows: rows, chatId: chatId, preamble: preamble, fileName: fileName,
                                   path: path, name: name, staged: staged, stagedFile: stagedFile, fileId: fileId))
        pendingRows += rows.count
        if pendingRows >= Self.batchRows || pending.count >= Self.batchFiles { try flush() }
    }

    /// Rows, or files, stored in one transaction. One commit per file would rewrite the
    /// ledger's index pages for every file (imported ids are hashes, spread over the index);
    /// a batch writes each page once. A crash loses the batch, which the next run imports.
    static let batchRows = 20_000
    static let batchFiles = 500

    /// Matches and stores the pending files, each whole, in one transaction.
    func flush() throws(ImportError) {
        guard !pending.isEmpty else { return }
        let batch = pending
        pending = []
        pendingRows = 0
        let requests = batch.map { file in
            let span = file.rows.map(\.sentAt.milliseconds)
            return ImportRequest(chatId: file.chatId, from: Instant(milliseconds: (span.min() ?? 0) / 1000 * 1000),
                                 to: Instant(milliseconds: ((span.max() ?? 0) / 1000 + 1) * 1000))
        }
        let plans: [ImportPlan]
        do {
            plans = try store.importFiles(requests, channel: settings.channel, at: clock.now(), dryRun: settings.dryRun) { index, stored in
                self.plan(batch[index], stored: stored)
            }
        } catch {
            for file in batch { staging.discard(file.stagedFile) }
            throw .ledger(error)
        }
        for (file, plan) in zip(batch, plans) {
            if settings.dryRun { staging.discard(file.staged.path) }
            report.files[file.report].matched = plan.matched.count
            report.files[file.report].newlyRead = plan.newlyRead
            report.files[file.report].newIncoming = plan.new.count { $0.direction == .incoming }
            report.files[file.report].newOutgoing = plan.new.count { $0.direction == .outgoing }
        }
    }

    /// The chat a display name stands for. `--map` in this run decides. Otherwise the
    /// candidates are the 1:1 chats whose user has had the name, and the chat an earlier
    /// `--map` settled for it; a name is no identity (two customers share one, a new customer
    /// takes a former one's), so among several candidates the one whose captured messages the
    /// customer's rows match wins, and without such evidence the rows wait in the unmatched
    /// chat of the name. A lone candidate whose user has the name now is taken without
    /// evidence, unless the rows are another chat's.
    private func resolveChat(_ name: String, rows: [BackupRow]) throws(ImportError) -> String {
        if let mapped = settings.maps[name] { return mapped }
        let names = try ledger { try store.chats(named: name, channel: settings.channel) }
        let candidates = Array(Set(names.byProfile + (names.mapped.map { [$0] } ?? []))).sorted()
        let customers = rows.filter { $0.sender == .user }
        // Without evidence, only a user who has the name now: not a former name, not an old map.
        if let only = candidates.first, candidates.count == 1, customers.isEmpty, names.current == [only] { return only }
        if !customers.isEmpty, let first = customers.map(\.sentAt.milliseconds).min(), let last = customers.map(\.sentAt.milliseconds).max() {
            let keys = customers.map(MatchKey.init)
            var evidence: [(chat: String, matched: Int)] = []
            for chat in candidates {
                let stored = try ledger {
                    try store.messages(chatId: chat, channel: settings.channel, from: Instant(milliseconds: first / 1000 * 1000),
                                       to: Instant(milliseconds: (last / 1000 + 1) * 1000))
                }
                evidence.append((chat, RowMatcher.pair(keys, with: stored).count { if case .matched = $0 { true } else { false } }))
            }
            let best = evidence.map(\.matched).max() ?? 0
            let winners = evidence.filter { $0.matched == best }
            if best > 0, winners.count == 1 { return winners[0].chat }
            // A lone candidate none of whose messages the rows match (rows from before capture
            // began) is taken, unless the rows are another chat's captured messages.
            if let only = candidates.first, candidates.count == 1, best == 0, names.current == [only],
               try !matchElsewhere(customers.prefix(20), than: only) {
                return only
            }
        }
        unmatched[name, default: .init(candidates: candidates, rows: 0)].rows += rows.count
        return UnmatchedChat.id(name)
    }

    /// True when one of `rows` matches a captured message of another 1:1 chat of the channel.
    private func matchElsewhere(_ rows: ArraySlice<BackupRow>, than chat: String) throws(ImportError) -> Bool {
        for row in rows {
            let second = row.sentAt.milliseconds / 1000 * 1000
            let others = try ledger {
                try store.messages(chatId: nil, channel: settings.channel, from: Instant(milliseconds: second),
                                   to: Instant(milliseconds: second + 1000))
            }.filter { $0.chatId != chat }
            if case .matched? = RowMatcher.pair([MatchKey(row)], with: others).first { return true }
        }
        return false
    }

    /// The milliseconds the file's dates cover, in its own time zone.
    private func dayRange(_ name: BackupFileName, offset: Int64) -> Range<Int64>? {
        func start(_ date: String, plusDays: Int64) -> Int64? {
            let digits = Array(date.utf8).map { Int64($0) - 48 }
            let year = digits[0...3].reduce(0) { $0 * 10 + $1 }, month = digits[4] * 10 + digits[5], day = digits[6] * 10 + digits[7]
            return Instant.local(year: year, month: month, day: day, hour: 0, minute: 0, second: 0, offsetSeconds: offset)
                .map { $0.milliseconds + plusDays * 86_400_000 }
        }
        guard let from = start(name.from, plusDays: 0), let to = start(name.to, plusDays: 1), from < to else { return nil }
        return from..<to
    }

    /// What the import of one file does, given the chat's stored messages over its span.
    private func plan(_ file: PendingFile, stored: [StoredMessage]) -> ImportPlan {
        let (rows, chatId, preamble, fileName, path, name, staged) = (file.rows, file.chatId, file.preamble, file.fileName, file.path,
                                                                      file.name, file.staged)
        let chat = ChatRef(type: .user, id: chatId)
        let held = UnmatchedChat.name(chatId) != nil
        var matched: [(id: String, line: Int)] = []
        var new: [NewImportedMessage] = []
        let keys = rows.map(MatchKey.init)
        for (index, outcome) in RowMatcher.pair(keys, with: stored).enumerated() {
            let row = rows[index]
            switch outcome {
            case .matched(let id):
                matched.append((id, row.line))
            case .new(let ordinal):
                new.append(message(row, key: keys[index], ordinal: ordinal, chat: chat, senderId: held ? nil : chatId,
                                   fileName: name, sha256: staged.sha256))
            }
        }
        let fileBody = JSONValue.object([
            "type": .string(BackupFileMessage.lineType), "file": .string(name), "path": .string(path),
            "file_sha256": .string(staged.sha256), "bytes": .int(staged.size), "account_name": .string(preamble.accountName),
            "chat_name": .string(fileName.displayName), "from": .string(fileName.from), "to": .string(fileName.to),
            "downloaded_at_ms": .int(preamble.downloadedAt.milliseconds), "utc_offset_seconds": .int(preamble.utcOffsetSeconds),
            "rows": .int(Int64(rows.count)),
        ]).canonicalJSON()
        let backup = NewImportedMessage(
            id: file.fileId, kind: .file, lineType: BackupFileMessage.lineType, chat: chat,
            senderId: nil, senderName: preamble.accountName, direction: .incoming, sentAt: preamble.downloadedAt,
            deadline: settings.policy.deadline(sentAt: preamble.downloadedAt, kind: .text, chat: .user, channel: settings.channel),
            state: .downloaded, reason: nil, text: nil, fileName: name, eventType: BackupFileMessage.lineType, eventBody: fileBody,
            fingerprint: Self.hash([fileBody]), provenance: path)
        return ImportPlan(file: backup, stagedFile: file.stagedFile, sha256: staged.sha256, size: staged.size, matched: matched, new: new,
                          readAt: preamble.downloadedAt)
    }

    /// A row that is a new message. Its id follows from what it is (chat, second, side, text,
    /// position among equals), so two backups that both hold it agree on it.
    private func message(_ row: BackupRow, key: MatchKey, ordinal: Int, chat: ChatRef, senderId: String?, fileName: String,
                         sha256: String) -> NewImportedMessage {
        let kind: MessageKind, state: MessageState, reason: LossReason?, text: String?
        switch row.placeholder {
        case .unsent?:
            (kind, state, reason, text) = (.unknown, .unsent, nil, nil)
        case let placeholder?:
            let placeheld = placeholder.kind ?? .unknown
            // A placeholder stands for content no webhook brought: there is nothing to download.
            (kind, state, reason, text) = placeheld.hasContent ? (placeheld, .lost, .notCaptured, nil) : (placeheld, .received, nil, nil)
        case nil:
            (kind, state, reason, text) = (.text, .received, nil, MatchKey.normalized(MatchKey.unguarded(row.content)))
        }
        let body = JSONValue.object([
            "type": .string(ImportedRowEvent.type), "file": .string(fileName), "file_sha256": .string(sha256), "line": .int(Int64(row.line)),
            "sender_type": .string(row.sender.rawValue), "sender_name": .string(row.senderName),
            "sent_at_ms": .int(row.sentAt.milliseconds), "content": .string(row.content),
        ]).canonicalJSON()
        // The chat and the second lead, so one file's rows sit together in the ledger's indexes
        // (a hash alone would scatter a million rows over every page of them).
        let second = String(UInt64(bitPattern: key.second), radix: 16)
        let id = "oa-" + Self.hash([settings.channel, chat.id]).prefix(8) + "-" + String(repeating: "0", count: max(0, 10 - second.count)) + second
            + "-" + Self.hash([settings.channel, chat.id, key.direction.rawValue, String(key.second), key.what, String(ordinal)]).prefix(16)
        return NewImportedMessage(
            id: id, kind: kind, lineType: kind == .unknown ? "unknown" : kind.rawValue, chat: chat,
            senderId: key.direction == .incoming ? senderId : nil, senderName: row.senderName, direction: key.direction,
            sentAt: row.sentAt, deadline: settings.policy.deadline(sentAt: row.sentAt, kind: kind, chat: .user, channel: settings.channel),
            state: state, reason: reason, text: text, eventType: ImportedRowEvent.type, eventBody: body, fingerprint: Self.hash([body]),
            provenance: "\(fileName):\(row.line)")
    }

    /// The first 128 bits of the SHA-256 of `parts`, NUL-separated, in hex.
    static func hash(_ parts: [String]) -> String {
        String(FileDigest.hex(SHA256.hash(data: Data(parts.joined(separator: "\u{0}").utf8)).prefix(16)))
    }
}

/// A file read and staged, waiting for its batch's transaction.
struct PendingFile {
    /// Its entry in the report.
    var report: Int
    var rows: [BackupRow]
    var chatId: String
    var preamble: BackupPreamble
    var fileName: BackupFileName
    var path: String
    var name: String
    var staged: ImportStaging.Staged
    var stagedFile: String
    var fileId: String
}
