import Foundation
import Hummingbird
import TalkVaultDomain

/// The simulator's HTTP surface: LINE's real paths, headers, status codes and JSON bodies,
/// plus `/external/...` for `external` content and `/admin/...` for tests and the demo.
public enum SimulatorRoutes {
    public static func buildRouter(state: SimulatorState) -> Router<BasicRequestContext> {
        let router = Router()
        let api = MessagingAPI(state: state)

        router.get("/v2/bot/message/:id/content") { request, context in
            try await api.guarded("GET /v2/bot/message/{id}/content", request, isContent: true) { channel, decision in
                try await api.content(id: context.parameters.require("id"), channel: channel, decision: decision, preview: false)
            }
        }
        router.get("/v2/bot/message/:id/content/preview") { request, context in
            try await api.guarded("GET /v2/bot/message/{id}/content/preview", request, isContent: true) { channel, decision in
                try await api.content(id: context.parameters.require("id"), channel: channel, decision: decision, preview: true)
            }
        }
        router.get("/v2/bot/message/:id/content/transcoding") { request, context in
            try await api.guarded("GET /v2/bot/message/{id}/content/transcoding", request, isContent: false) { channel, _ in
                try await api.transcoding(id: context.parameters.require("id"), channel: channel)
            }
        }
        router.get("/v2/bot/profile/:userId") { request, context in
            try await api.guarded("GET /v2/bot/profile/{userId}", request, isContent: false) { channel, _ in
                try await api.profile(userId: context.parameters.require("userId"), channel: channel, withStatus: true)
            }
        }
        for chat in ["group", "room"] {
            router.get("/v2/bot/\(chat)/:chatId/member/:userId") { request, context in
                try await api.guarded("GET /v2/bot/\(chat)/{\(chat)Id}/member/{userId}", request, isContent: false) { channel, _ in
                    try await api.profile(userId: context.parameters.require("userId"), channel: channel, withStatus: false)
                }
            }
        }
        router.get("/v2/bot/info") { request, _ in
            try await api.guarded("GET /v2/bot/info", request, isContent: false) { channel, _ in api.botInfo(channel) }
        }
        router.post("/v2/bot/chat/markAsRead") { request, _ in
            try await api.guarded("POST /v2/bot/chat/markAsRead", request, isContent: false) { channel, _ in
                try await api.markAsRead(request, channel: channel)
            }
        }
        router.get("/external/content/:id") { request, context in
            try await api.guarded("GET /external/content/{id}", request, isContent: true, authenticate: false) { _, decision in
                try await api.content(id: context.parameters.require("id"), channel: nil, decision: decision, preview: false)
            }
        }
        AdminRoutes.add(to: router, state: state)
        return router
    }
}

/// The handlers behind the Messaging API routes.
struct MessagingAPI: Sendable {
    let state: SimulatorState

    /// Authentication (the Bearer token picks the channel), the channel's rate limit, injected
    /// errors and latency, then the handler; every answer is counted by route and status, and
    /// by channel. The handler gets the channel, nil for an unauthenticated route.
    func guarded(_ route: String, _ request: Request, isContent: Bool, authenticate: Bool = true,
                 _ handler: (SimulatedChannel?, SimulatorState.Decision) async throws -> Response) async throws -> Response {
        let channel = authenticate ? state.channel(authorization: request.headers[.authorization]) : nil
        let response: Response
        if authenticate, channel == nil {
            response = Self.unauthorized()
        } else {
            response = try await answer(request, channel: channel, isContent: isContent, handler)
        }
        await state.count(route, status: response.status.code, channel: channel?.name)
        return response
    }

    private func answer(_ request: Request, channel: SimulatedChannel?, isContent: Bool,
                        _ handler: (SimulatedChannel?, SimulatorState.Decision) async throws -> Response) async throws -> Response {
        let decision = await state.decide(channel: channel?.name, path: request.uri.path, isContent: isContent)
        if decision.rateLimited {
            var response = Self.json(.tooManyRequests, ["message": "The API rate limit has been exceeded. Try again later."])
            if let seconds = decision.retryAfter { response.headers[.retryAfter] = String(seconds) }
            return response
        }
        if decision.delayMilliseconds > 0 { try await Task.sleep(for: .milliseconds(decision.delayMilliseconds)) }
        if let code = decision.error {
            return Self.json(HTTPResponse.Status(code: code), ["message": code == 503 ? "Service Unavailable" : "Internal Server Error"])
        }
        return try await handler(channel, decision)
    }

    /// `channel` nil is the `external` server, which serves only `external` content; a channel
    /// gets only its own messages' content from LINE, as another channel's id is unknown to it.
    func content(id: String, channel: SimulatedChannel?, decision: SimulatorState.Decision, preview: Bool) async throws -> Response {
        let now = await state.now()
        let external = channel == nil
        guard let entry = await state.registered(id), entry.message.kind.hasContent,
              entry.message.external == external, external || entry.message.channel == channel?.name else {
            return Self.json(.notFound, ["message": "Not found"])
        }
        let message = entry.message
        if let unsent = message.unsentAt, now >= unsent {
            return Self.json(.gone, ["message": "The content is gone"])
        }
        if !external, now >= state.expiry(of: message) {
            if state.config.expiredStatus == 410 { return Self.json(.gone, ["message": "The content is gone"]) }
            return Self.json(.notFound, ["message": "Not found"])
        }
        if preview {
            guard message.kind == .image || message.kind == .video else { return Self.json(.notFound, ["message": "Not found"]) }
            return stream(ContentGenerator.preview(for: message, seed: state.config.seed), decision: decision)
        }
        if await state.isTranscoding(entry, now: now) { return Response(status: .accepted) }
        if state.transcodingFails(message) { return Self.json(.notFound, ["message": "Not found"]) }
        return stream(ContentGenerator.stream(for: message, seed: state.config.seed), decision: decision)
    }

    /// Streams generated content chunk by chunk, applying stall, drip and truncation faults.
    private func stream(_ content: ContentStream, decision: SimulatorState.Decision) -> Response {
        let state = self.state
        let cutAt = decision.truncateAt.map { Int64(Double(content.size) * $0) }
        let body = ResponseBody(contentLength: Int(content.size)) { writer in
            var source = content
            var sent: Int64 = 0
            var first = true
            while var chunk = source.next() {
                if let cutAt, sent + Int64(chunk.count) > cutAt {
                    chunk = Array(chunk.prefix(Int(cutAt - sent)))
                    if !chunk.isEmpty { try await writer.write(ByteBuffer(bytes: chunk)) }
                    await state.addBytes(chunk.count)
                    // Closing before Content-Length is reached is what a cut download looks like.
                    throw SimulatedFault.truncated
                }
                if let rate = decision.dripBytesPerSecond {
                    for piece in stride(from: 0, to: chunk.count, by: 1024) {
                        let part = chunk[piece..<min(chunk.count, piece + 1024)]
                        try await writer.write(ByteBuffer(bytes: part))
                        try await Task.sleep(for: .milliseconds(max(1, part.count * 1000 / rate)))
                    }
                } else {
                    try await writer.write(ByteBuffer(bytes: chunk))
                }
                sent += Int64(chunk.count)
                await state.addBytes(chunk.count)
                if first, let stall = decision.stall {
                    first = false
                    try await Task.sleep(for: .seconds(stall))
                }
            }
            try await writer.finish(nil)
        }
        var headers = HTTPFields()
        headers[.contentType] = content.contentType
        return Response(status: .ok, headers: headers, body: body)
    }

    func transcoding(id: String, channel: SimulatedChannel?) async throws -> Response {
        guard let entry = await state.registered(id), entry.message.kind.hasContent, entry.message.channel == channel?.name else {
            return Self.json(.notFound, ["message": "Not found"])
        }
        let status: String
        if state.transcodingFails(entry.message) {
            status = "failed"
        } else if await state.isTranscoding(entry, now: await state.now()) {
            status = "processing"
        } else {
            status = "succeeded"
        }
        return Self.json(.ok, ["status": status])
    }

    func profile(userId: String, channel: SimulatedChannel?, withStatus: Bool) async throws -> Response {
        guard let channel, await state.isKnownUser(userId, channel: channel.name) else { return Self.json(.notFound, ["message": "Not found"]) }
        var profile = [
            "userId": userId,
            "displayName": Profiles.displayName(for: userId, seed: state.config.seed),
            "pictureUrl": "https://profile.line-scdn.net/simulated/\(userId)",
        ]
        if withStatus {
            profile["statusMessage"] = "よろしくお願いします"
            profile["language"] = "ja"
        }
        return Self.json(.ok, profile)
    }

    /// The bot of the token's channel: its `destination` is the `userId`.
    func botInfo(_ channel: SimulatedChannel?) -> Response {
        guard let channel else { return Self.unauthorized() }
        let picture = channel.name == SimulatedChannel.defaultName ? "bot" : "bot-\(channel.name)"
        return Self.json(.ok, [
            "userId": channel.destination, "basicId": channel.basicId, "displayName": channel.displayName,
            "pictureUrl": "https://profile.line-scdn.net/simulated/\(picture)",
            "chatMode": state.config.chatMode, "markAsReadMode": state.config.markAsReadMode,
        ])
    }

    func markAsRead(_ request: Request, channel: SimulatedChannel?) async throws -> Response {
        let buffer = try await request.body.collect(upTo: 64 * 1024)
        struct Body: Decodable { let markAsReadToken: String }
        guard let body = try? JSONDecoder().decode(Body.self, from: Data(buffer.readableBytesView)), !body.markAsReadToken.isEmpty else {
            return Self.json(.badRequest, LINEError(message: "The request body has 1 error(s)",
                                                    details: [.init(message: "must be specified", property: "markAsReadToken")]))
        }
        // LINE documents 400 for a token it did not issue to this bot (line-openapi,
        // markMessagesAsReadByToken); the wording of its message is not documented.
        guard let channel, await state.recordMarkAsRead(body.markAsReadToken, channel: channel.name) else {
            return Self.json(.badRequest, LINEError(message: "An invalid markAsReadToken is specified", details: nil))
        }
        return Self.json(.ok, [String: String]())
    }

    static func unauthorized() -> Response {
        json(.unauthorized, ["message": "Authentication failed. Confirm that the access token in the authorization header is valid."])
    }

    static func json<T: Encodable>(_ status: HTTPResponse.Status, _ value: T) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// LINE's error body: `{"message": …, "details": [{"message": …, "property": …}]}`.
struct LINEError: Encodable {
    struct Detail: Encodable {
        var message: String
        var property: String
    }

    var message: String
    var details: [Detail]?
}

enum SimulatedFault: Error {
    case truncated
}
