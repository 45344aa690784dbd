import Demo
import Foundation
import Sweep
import TalkVaultDomain

/// The summary a newcomer reads at the end of the demo.
enum DemoSummary {
    static func render(_ outcome: Demo.Outcome, dataDir: String, seconds: Double) -> String {
        let status = outcome.status
        let counts = status.messages
        func total(_ state: MessageState) -> Int { counts.values.reduce(0) { $0 + ($1[state.rawValue] ?? 0) } }
        let downloaded = outcome.sweeps.reduce(0) { $0 + $1.downloaded }
        let bytes = outcome.sweeps.reduce(Int64(0)) { $0 + $1.bytes }
        let retried = outcome.sweeps.reduce(0) { $0 + $1.retried }
        var lost: [String: Int] = [:]
        for sweep in outcome.sweeps { for (reason, n) in sweep.lost { lost[reason, default: 0] += n } }
        let why = [
            "expired": "LINE had already deleted it (sent longer ago than its window: images, video and audio 14 days, files 7)",
            "not_found": "LINE answered 404 before the deadline",
            "transcoding_failed": "LINE could not transcode the video or audio",
            "external_unavailable": "the external content URL failed",
        ]
        var out = "\n"
        out += "What happened (\(String(format: "%.1f", seconds)) s)\n"
        out += "  captured    \(status.ledger.messages) messages in \(status.ledger.chats) chats from \(outcome.sent.requests) webhook requests; "
            + "\(status.ledger.redeliveredEvents) redelivered events stored once\n"
        let captured = Dictionary(status.channels.map { ($0.name, $0.messages) }) { first, _ in first }
        for channel in outcome.channels {
            out += "              \(channel.name): \(captured[channel.name] ?? 0) messages, posted to "
                + (channel.shared ? "the shared \(channel.path) and routed by the bot user id in each body\n"
                                  : "its own \(channel.path), verified with its own secret\n")
        }
        out += "  downloaded  \(downloaded) files, \(bytes / 1_048_576) MiB, each account with its own token, despite \(retried) failed "
            + "or rate-limited requests (retried)\n"
        out += "  archived    \(total(.archived)) messages (text, stickers and locations included)\n"
        out += "  unsent      \(total(.unsent)) messages the users took back; their content is gone by design\n"
        if lost.isEmpty {
            out += "  lost        nothing\n"
        } else {
            out += "  lost        \(lost.values.reduce(0, +)) items, each with its reason:\n"
            for (reason, n) in lost.sorted(by: { $0.key < $1.key }) { out += "                \(n) \(reason): \(why[reason] ?? reason)\n" }
        }
        let pending = total(.contentDue) + total(.downloaded)
        if pending > 0 { out += "  pending     \(pending) items the next sweep will try again\n" }
        let reading = outcome.reading
        out += "  read        \(reading.messagesRead) messages in \(reading.chatsRead) of \(reading.chats) chats, marked by staff with mark-read; "
            + "\(reading.messagesUnread) left unread\n"
        out += "              LINE acknowledged \(reading.receiptsSent) of \(reading.receiptsQueued) markAsRead calls"
            + (reading.receiptsPending > 0 ? "; \(reading.receiptsPending) wait for the next sweep (the simulator's 429s and 5xx)" : "") + "\n"
        out += "\nWhere things are\n"
        out += "  data dir      \(dataDir)\n"
        out += "  archives      \(outcome.segments.count) segment(s), standard tar.gz:\n"
        for segment in outcome.segments { out += "                  \(segment)\n" }
        out += "  ground truth  \(outcome.groundTruth) (what the simulator sent, with SHA-256s)\n"
        if !outcome.backups.isEmpty {
            out += "  OA backups    \(outcome.backups.joined(separator: ", ")) (what staff would download from the OA Manager)\n"
        }
        out += "\nTry\n"
        out += "  talkvault status --data-dir \(dataDir)           what is at risk and what was lost\n"
        out += "  talkvault verify --data-dir \(dataDir) --deep    check every archive and the hash chain\n"
        out += "  talkvault find --data-dir \(dataDir) --text 予約 --limit 10    search, Japanese included\n"
        if let channel = outcome.channels.last {
            out += "  talkvault find --data-dir \(dataDir) --channel \(channel.name) --limit 10    one account's messages\n"
        }
        if let week = outcome.exportWeek {
            out += "  talkvault export --data-dir \(dataDir) --week \(week.week)    a CSV per account: its \(week.rows) read messages; "
                + "the manifests count the \(week.unread) unread\n"
        }
        if let id = outcome.sampleContentId {
            out += "  talkvault show --data-dir \(dataDir) \(id)    one message's whole story\n"
            out += "  talkvault restore --data-dir \(dataDir) \(id) --to ./restored    one file back, by offset, SHA-256 checked\n"
        }
        out += "  talkvault restore --data-dir \(dataDir) --kind image --to ./restored-images    a whole selection\n"
        for (backup, channel) in zip(outcome.backups, outcome.channels) {
            out += "  talkvault import --data-dir \(dataDir) --channel \(channel.name) \(backup)    the OA Manager's backup: "
                + "the account's replies, both sides in `talkvault thread`\n"
        }
        if let first = outcome.segments.first {
            out += "  tar -tzvf \(first) | head     the archives are standard tar.gz\n"
        }
        out += "  talkvault reindex --data-dir \(dataDir) --to /tmp/rebuilt   rebuild the ledger from the archives alone\n"
        out += "  talkvault user add you --role manager --data-dir \(dataDir)   then `talkvault console --data-dir \(dataDir)`: the same in a browser\n"
        return out
    }
}
