import ArgumentParser
import Foundation
import LINEClient
import Ledger
import Store
import ReadReceipts
import TalkVaultDomain
import RetentionConfig

struct MarkReadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mark-read",
        abstract: "Record messages as read, and tell LINE (markAsRead).",
        discussion: """
        Give message ids, or --chat with --until to mark a chat's messages up to a time. The first \
        read stands; who marked it (--by, default the login name) and when are recorded. With an \
        access token (TALKVAULT_ACCESS_TOKEN or the credential 'access-token'), LINE's markAsRead \
        is called at once; a call that fails, or any call without a token, is sent by the next sweep. \
        A call LINE refuses (a token it did not issue) is recorded with its reason and not sent \
        again. Exits 2 when some ids are unknown.
        """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Message ids.") var ids: [String] = []
    @Option(help: "A chat id (user, group or room) to mark up to --until.") var chat: String?
    @Option(help: "With --chat: the last send time to mark, RFC 3339 or a date (its end, in the configured zone).") var until: String?
    @Option(help: "With --chat: its channel, needed when the chat id has messages in several.") var channel: String?
    @Option(help: "Who read them; recorded with each message.") var by: String?
    @Flag(help: "Print the result as JSON.") var json = false

    func validate() throws {
        guard ids.isEmpty != (chat == nil) else { throw ValidationError("give message ids, or --chat with --until, not both") }
        guard (chat == nil) == (until == nil) else { throw ValidationError("--chat and --until go together") }
        guard channel == nil || chat != nil else { throw ValidationError("--channel goes with --chat") }
    }

    func run() async throws {
        let clock = try global.clock()
        let config = try global.loadConfig()
        let what = ids.isEmpty ? [chat.map { "--chat \($0)" }, until.map { "--until \($0)" }, channel.map { "--channel \($0)" }].compactMap { $0 } : ids
        try await global.audited(config, "mark-read", target: what) {
            let ledger = try global.openLedgerForWriting(config, create: false)
            let who = by ?? GlobalOptions.actor
            var target = MarkReadTarget.ids(ids)
            if let chat, let until { target = .chat(chat, until: try TimeOption.cutoff(until, in: config.timeZone), channel: channel) }
            let result = try MarkRead.mark(target, by: who, at: clock.now(), in: ledger.readState)
            if !result.ambiguousChannels.isEmpty {
                throw Failure(.usage, "the chat has messages in several channels (\(result.ambiguousChannels.joined(separator: ", "))): "
                              + "name one with --channel; nothing was marked")
            }
            var receipts = ReadReceipts.Outcome()
            let clients = config.perChannel { MarkAsReadClient(apiBaseURL: config.apiBaseURL, accessToken: $0) }
            if result.receiptsQueued > 0, !clients.isEmpty {
                // Each call with the token of its message's channel.
                receipts = try await ReadReceipts.sendPending(from: ledger.readState, clients: clients, clock: clock)
            }
            if json {
                try printJSON(MarkReadSummary(result: result, receipts: receipts))
            } else {
                print("marked read  \(result.marked.count) (by \(who))")
                if !result.alreadyRead.isEmpty { print("already read \(result.alreadyRead.count) (their first read stands)") }
                for id in result.unknown { print("unknown      \(id)") }
                let left = result.receiptsQueued - receipts.sent - receipts.refused
                print("LINE         \(receipts.sent) markAsRead calls sent"
                      + (left > 0 ? ", \(left) left for the next sweep" : "")
                      + (receipts.refused > 0 ? ", \(receipts.refused) refused by LINE (not sent again; `show` says why)" : ""))
            }
            if !result.unknown.isEmpty { throw Failure(.partial, "\(result.unknown.count) ids are not in the ledger") }
        }
    }
}

struct MarkReadSummary: Encodable {
    var marked: [String]
    var alreadyRead: [String]
    var unknown: [String]
    var receiptsQueued: Int
    var receiptsSent: Int
    var receiptsRefused: Int

    init(result: MarkReadResult, receipts: ReadReceipts.Outcome) {
        marked = result.marked
        alreadyRead = result.alreadyRead
        unknown = result.unknown
        receiptsQueued = result.receiptsQueued
        receiptsSent = receipts.sent
        receiptsRefused = receipts.refused
    }

    enum CodingKeys: String, CodingKey {
        case marked, unknown
        case alreadyRead = "already_read", receiptsQueued = "read_receipts_queued", receiptsSent = "read_receipts_sent"
        case receiptsRefused = "read_receipts_refused"
    }
}
