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
            try await api.guarded("GET /v2/bot/message/{id}/content", request, isContent: true) { decision in
                try await api.content(id: context.parameters.require("id"), decision: decision, preview: false)
            }
        }
        router.get("/v2/bot/message/:id/content/preview") { request, context in
            try await api.guarded("GET /v2/bot/message/{id}/content/preview", request, isContent: true) { decision in
                try await api.content(id: context.parameters.require("id"), decision: decision, preview: true)
            }
        }
        router.get("/v2/bot/message/:id/content/transcoding") { request, context in
            try await api.guarded("GET /v2/bot/message/{id}/content/transcoding", request, isContent: false) { _ in
                try await api.transcoding(id: context.parameters.require("id"))
            }
        }
        router.get("/v2/bot/profile/:userId") { request, context in
            try await api.guarded("GET /v2/bot/profile/{userId}", request, isContent: false) { _ in
                try await api.profile(userId: context.parameters.require("userId"), withStatus: true)
            }
        }
        for chat in ["group", "room"] {
            router.get("/v2/bot/\(chat)/:chatId/member/:userId") { request, context in
                try await api.guarded("GET /v2/bot/\(chat)/{\(chat)Id}/member/{userId}", request, isContent: false) { _ in
                    try await api.profile(userId: context.parameters.require("userId"), withStatus: false)
                }
            }
        }
        router.get("/v2/bot/info") { request, _ in
            try await api.guarded("GET /v2/bot/info", request, isContent: false) { _ in await api.botInfo() }
        }
        router.post("/v2/bot/chat/markAsRead") { request, _ in
            try await api.guarded("POST /v2/bot/chat/markAsRead", request, isContent: false) { _ in
                try await api.markAsRead(request)
            }
        }
        router.get("/external/content/:id") { request, context in
            try await api.guarded("GET /external/content/{id}", request, isContent: true, authenticate: false) { decision in
                try await api.content(id: context.parameters.require("id"), decision: decision, preview: false, external: true)
            }
        }
        AdminRoutes.add(to: router, state: state)
        return router
    }
}

/// The handlers behind the Messaging API routes.
struct MessagingAPI: Sendable {
    let state: SimulatorState

    /// Authentication, rate limit, injected errors and latency, then the handler; every
    /// answer is counted by route and status.
    func guarded(_ route: String, _ request: Request, isContent: Bool, authenticate: Bool = true,
                 _ handler: (SimulatorState.Decision) async throws -> Response) async throws -> Response {
        let response = try await answer(route, request, isContent: isContent, authenticate: authenticate, handler)
        await state.count(route, status: response.status.code)
        return response
    }

    private func answer(_ route: String, _ request: Request, isContent: Bool, authenticate: Bool,
                        _ handler: (SimulatorState.Decision) async throws -> Response) async throws -> Response {
        if authenticate, request.headers[.authorization] != "Bearer \(state.config.accessToken)" {
            return Self.json(.unauthorized, ["message": "Authentication failed. Confirm that the access token in the authorization header is valid."])
        }
        let decision = await state.decide(path: request.uri.path, isContent: isContent)
        if decision.rateLimited {
            var response = Self.json(.tooManyRequests, ["message": "The API rate limit has been exceeded. Try again later."])
            if let seconds = decision.retryAfter { response.headers[.retryAfter] = String(seconds) }
            return response
        }
        if decision.delayMilliseconds > 0 { try await Task.sleep(for: .milliseconds(decision.delayMilliseconds)) }
        if let code = decision.error {
            return Self.json(HTTPResponse.Status(code: code), ["message": code == 503 ? "Service Unavailable" : "Internal Server Error"])
        }
        return try await handler(decision)
    }

    func content(id: String, decision: SimulatorState.Decision, preview: Bool, external: Bool = false) async throws -> Response {
        let now = await state.now()
        guard let entry = await state.registered(id), entry.message.kind.hasContent,
              entry.message.external == external else {
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

    func transcoding(id: String) async throws -> Response {
        guard let entry = await state.registered(id), entry.message.kind.hasContent else {
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

    func profile(userId: String, withStatus: Bool) async throws -> Response {
        guard await state.isKnownUser(userId) else { return Self.json(.notFound, ["message": "Not found"]) }
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

    func botInfo() async -> Response {
        Self.json(.ok, [
            "userId": "Ubot0000000000000000000000000000", "basicId": "@123talkv", "displayName": "TalkVault テスト店",
            "pictureUrl": "https://profile.line-scdn.net/simulated/bot",
            "chatMode": state.config.chatMode, "markAsReadMode": state.config.markAsReadMode,
        ])
    }

    func markAsRead(_ request: Request) async throws -> Response {
        let buffer = try await request.body.collect(upTo: 64 * 1024)
        struct Body: Decodable { let markAsReadToken: String }
        guard let body = try? JSONDecoder().decode(Body.self, from: Data(buffer.readableBytesView)), !body.markAsReadToken.isEmpty else {
            return Self.json(.badRequest, LINEError(message: "The request body has 1 error(s)",
                                                    details: [.init(message: "must be specified", property: "markAsReadToken")]))
        }
        // LINE documents 400 for a token it did not issue to this bot (line-openapi,
        // markMessagesAsReadByToken); the wording of its message is not documented.
        guard await state.recordMarkAsRead(body.markAsReadToken) else {
            return Self.json(.badRequest, LINEError(message: "An invalid markAsReadToken is specified", details: nil))
        }
        return Self.json(.ok, [String: String]())
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
