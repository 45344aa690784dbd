import AuditTrail
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import LINEClient
import Ledger
import Store
import ReadReceipts
import TalkVaultDomain

/// `POST /api/v1/mark-read`: what `talkvault mark-read` does, for a help desk tool.
/// Body: `{"message_ids": [...], "by": "name"}` or `{"chat_id": "...", "until": "RFC 3339", "by": "name"}`
/// (with `"channel"` when the chat id has messages in several channels),
/// with `Authorization: Bearer <token>`. Answers 200 with what was marked, 400 for a bad body,
/// 400 for a chat with nothing to mark, 401 without the token; a store error answers as `StoreHTTPError` says (503 when busy).
struct MarkReadEndpoint: Sendable {
    let token: Secret
    let reader: LedgerReader
    let clock: any WallClock
    /// Tells LINE in the background; nil without an access token (the next sweep tells it).
    let receipts: ReceiptSender?
    /// The audit trail; every call that marks is recorded under the token's name.
    var audit: AuditLog?

    struct Body: Decodable {
        var messageIds: [String]?
        var chatId: String?
        var channel: String?
        var until: String?
        var by: String?
        enum CodingKeys: String, CodingKey { case by, until, channel, messageIds = "message_ids", chatId = "chat_id" }
    }

    struct Answer: Encodable {
        var marked: [String]
        var alreadyRead: [String]
        var unknown: [String]
        var readReceiptsQueued: Int
        enum CodingKeys: String, CodingKey {
            case marked, unknown
            case alreadyRead = "already_read", readReceiptsQueued = "read_receipts_queued"
        }
    }

    func add(to router: Router<ConnectionContext>) {
        router.post("/api/v1/mark-read") { request, _ -> Response in
            guard authorized(request.headers[.authorization]) else {
                return WebhookServer.json(.unauthorized, ["message": "missing or wrong bearer token"])
            }
            let data = try await request.body.collect(upTo: 1 << 20)
            guard let body = try? JSONDecoder().decode(Body.self, from: Data(data.readableBytesView)),
                  let by = body.by, !by.isEmpty else {
                return WebhookServer.json(.badRequest, ["message": "expected {\"message_ids\": [...], \"by\": \"name\"} or {\"chat_id\", \"until\", \"by\"}"])
            }
            let target: MarkReadTarget
            if let chat = body.chatId {
                guard body.messageIds?.isEmpty ?? true, let until = body.until.flatMap(Instant.init(rfc3339:)) else {
                    return WebhookServer.json(.badRequest, ["message": "chat_id needs until (RFC 3339) and no message_ids"])
                }
                target = .chat(chat, until: until, channel: body.channel)
            } else {
                guard let ids = body.messageIds, !ids.isEmpty else { return WebhookServer.json(.badRequest, ["message": "no messages to mark"]) }
                target = .ids(ids)
            }
            let result: MarkReadResult
            do throws(LedgerError) {
                result = try await reader.markRead(target, by: by, at: clock.now())
            } catch {
                throw StoreHTTPError(error)
            }
            if !result.ambiguousChannels.isEmpty {
                return WebhookServer.json(.badRequest, ["message": "the chat has messages in several channels; give \"channel\": one of "
                                                        + result.ambiguousChannels.joined(separator: ", ")])
            }
            // A chat with nothing sent up to `until` (or no such chat) is a bad request, as an
            // empty list of ids is.
            if case .chat = target, result.marked.isEmpty, result.alreadyRead.isEmpty, result.unknown.isEmpty {
                return WebhookServer.json(.badRequest, ["message": "no messages to mark"])
            }
            if result.receiptsQueued > 0 { receipts?.poke() }
            // Recorded before the answer: a call the trail could not record fails, as the CLI's does.
            let what: [String] = switch target {
            case .ids(let ids): ids
            case .chat(let chat, let until, let channel): ["--chat \(chat)", "--until \(until.milliseconds)"] + (channel.map { ["--channel \($0)"] } ?? [])
            }
            do {
                try audit?.append(.init(action: "mark-read", who: "api-token (by \(by))", target: what,
                                        outcome: "ok: \(result.marked.count) marked"), at: clock.now())
            } catch {
                return WebhookServer.json(.internalServerError, ["message": "marked, but the audit trail could not record it: \(error)"])
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            let answer = Answer(marked: result.marked, alreadyRead: result.alreadyRead, unknown: result.unknown,
                                readReceiptsQueued: result.receiptsQueued)
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: try encoder.encode(answer))))
        }
    }

    /// Compares in constant time, as the webhook signature is.
    func authorized(_ header: String?) -> Bool {
        guard let header, header.hasPrefix("Bearer ") else { return false }
        let given = SHA256.hash(data: Data(header.dropFirst(7).utf8)), expected = SHA256.hash(data: Data(token.revealed.utf8))
        return zip(given, expected).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
