import ChatBackup
import Crypto
import DurableFile
import Foundation
import JSON
import Store
import TalkVaultDomain

extension Importer {
    /// One staged backup file: read whole (a bad one is rejected before anything is stored),
    /// its chat resolved, its rows matched and stored in one transaction.
    func importStaged(_ staged: ImportStaging.Staged, path: String, name: String) throws(ImportError) {
        var result = ImportReport.FileResult(path: path, outcome: .imported)
        defer { report.files.append(result) }
        if try ledger({ try store.importedFile(sha256: staged.sha256, name: name, channel: settings.channel) }) != nil {
            staging.discard(staged.path)
            result.outcome = .alreadyImported
            return
        }
        guard let fileName = BackupFileName(name) else {
            staging.discard(staged.path)
            result.outcome = .rejected("the name is not <from>_<to>_<chat name>.csv, as the OA Manager names a chat's backup")
            return
        }
        let preamble: BackupPreamble
        var rows: [BackupRow] = []
        do {
            let reader = try ChatBackupReader(path: staged.path, name: path)
            preamble = reader.preamble
            while let row = try reader.next() { rows.append(row) }
        } catch {
            staging.discard(staged.path)
            result.outcome = .rejected(error.description)
            return
        }
        result.chatName = fileName.displayName
        result.rows = rows.count
        let inRange = dayRange(fileName, offset: preamble.utcOffsetSeconds)
        rows = rows.filter { row in
            guard let inRange, !inRange.contains(row.sentAt.milliseconds) else { return true }
            result.rejectedRows.append(.init(line: row.line, reason: "sent on a day outside the file's dates \(fileName.from)–\(fileName.to)"))
            return false
        }
        let chatId = try resolveChat(fileName.displayName, rows: rows.count)
        result.chatId = chatId
        let fileId = "oab-" + Self.hash([settings.channel, staged.sha256, name])
        let stagedFile = settings.dryRun ? staging.relative(staged.path) : try staging.publish(staged, as: fileId)
        let span = rows.map(\.sentAt.milliseconds)
        let from = Instant(milliseconds: (span.min() ?? 0) / 1000 * 1000)
        let to = Instant(milliseconds: ((span.max() ?? 0) / 1000 + 1) * 1000)
        let now = clock.now()
        let plan: ImportPlan
        do {
            plan = try store.importFile(chatId: chatId, channel: settings.channel, from: from, to: to, at: now, dryRun: settings.dryRun) { stored in
                self.plan(rows, stored: stored, chatId: chatId, preamble: preamble, fileName: fileName, path: path, name: name,
                          staged: staged, stagedFile: stagedFile, fileId: fileId)
            }
        } catch {
            staging.discard(stagedFile)
            throw .ledger(error)
        }
        if settings.dryRun { staging.discard(staged.path) }
        result.matched = plan.matched.count
        result.newlyRead = plan.newlyRead
        result.newIncoming = plan.new.count { $0.direction == .incoming }
        result.newOutgoing = plan.new.count { $0.direction == .outgoing }
    }

    /// The chat a display name stands for: `--map`, then a settled mapping, then the one 1:1
    /// chat whose user has had the name. None or several: the unmatched chat of the name.
    private func resolveChat(_ name: String, rows: Int) throws(ImportError) -> String {
        if let mapped = settings.maps[name] { return mapped }
        var names = try ledger { try store.chats(named: name, channel: settings.channel) }
        // Two chats of one name and dates are told apart by a number in the file name.
        if names.mapped == nil, names.byProfile.isEmpty, let bare = Self.withoutNumber(name) {
            names = try ledger { try store.chats(named: bare, channel: settings.channel) }
        }
        if let mapped = names.mapped { return mapped }
        if names.byProfile.count == 1 { return names.byProfile[0] }
        report.unmatchedChats[name, default: .init(candidates: names.byProfile, rows: 0)].rows += rows
        return UnmatchedChat.id(name)
    }

    /// `山田 太郎 (2)` → `山田 太郎`.
    static func withoutNumber(_ name: String) -> String? {
        guard name.hasSuffix(")"), let open = name.range(of: " (", options: .backwards) else { return nil }
        let digits = name[open.upperBound..<name.index(before: name.endIndex)]
        return !digits.isEmpty && digits.allSatisfy(\.isASCII) && digits.allSatisfy(\.isNumber) ? String(name[..<open.lowerBound]) : nil
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
    private func plan(_ rows: [BackupRow], stored: [StoredMessage], chatId: String, preamble: BackupPreamble, fileName: BackupFileName,
                      path: String, name: String, staged: ImportStaging.Staged, stagedFile: String, fileId: String) -> ImportPlan {
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
        let file = NewImportedMessage(
            id: fileId, kind: .file, lineType: BackupFileMessage.lineType, chat: chat,
            senderId: nil, senderName: preamble.accountName, direction: .incoming, sentAt: preamble.downloadedAt,
            deadline: settings.policy.deadline(sentAt: preamble.downloadedAt, kind: .text, chat: .user, channel: settings.channel),
            state: .downloaded, reason: nil, text: nil, fileName: name, eventType: BackupFileMessage.lineType, eventBody: fileBody,
            fingerprint: Self.hash([fileBody]), provenance: path)
        return ImportPlan(file: file, stagedFile: stagedFile, sha256: staged.sha256, size: staged.size, matched: matched, new: new,
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
            (kind, state, reason, text) = (.text, .received, nil, MatchKey.normalized(row.content))
        }
        let body = JSONValue.object([
            "type": .string(ImportedRow.eventType), "file": .string(fileName), "file_sha256": .string(sha256), "line": .int(Int64(row.line)),
            "sender_type": .string(row.sender.rawValue), "sender_name": .string(row.senderName),
            "sent_at_ms": .int(row.sentAt.milliseconds), "content": .string(row.content),
        ]).canonicalJSON()
        let id = "oa-" + Self.hash([settings.channel, chat.id, key.direction.rawValue, String(key.second), key.what, String(ordinal)])
        return NewImportedMessage(
            id: id, kind: kind, lineType: kind == .unknown ? "unknown" : kind.rawValue, chat: chat,
            senderId: key.direction == .incoming ? senderId : nil, senderName: row.senderName, direction: key.direction,
            sentAt: row.sentAt, deadline: settings.policy.deadline(sentAt: row.sentAt, kind: kind, chat: .user, channel: settings.channel),
            state: state, reason: reason, text: text, eventType: ImportedRow.eventType, eventBody: body, fingerprint: Self.hash([body]),
            provenance: "\(fileName):\(row.line)")
    }

    /// The first 128 bits of the SHA-256 of `parts`, NUL-separated, in hex.
    static func hash(_ parts: [String]) -> String {
        String(FileDigest.hex(SHA256.hash(data: Data(parts.joined(separator: "\u{0}").utf8))).prefix(32))
    }
}

/// The event that stands for an imported row in the ledger and the archive record.
public enum ImportedRow {
    public static let eventType = "oaBackupRow"
}
