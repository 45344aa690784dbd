import Accounts
import Foundation
import Hummingbird
import LastRuns
import Store
import TalkVaultDomain

extension Console {
    func addPages(to router: Router<ConsoleContext>) {
        router.get("/") { request, _ in try await guarded(request, .page) { try await dashboard(request, $0) } }
        router.get("/chats") { request, _ in try await guarded(request, .page) { try await chatList(request, $0) } }
        router.get("/chats/:chat") { request, context in
            try await guarded(request, .page) { identity in
                guard let chat = PathParameter.chat(context.parameters.get("chat")) else {
                    return problem(.badRequest, "bad_request", identity: identity, request: request)
                }
                return try await conversation(request, identity, chat: chat)
            }
        }
        router.get("/search") { request, _ in try await guarded(request, .page) { try await searchPage(request, $0) } }
        router.get("/lost") { request, _ in try await guarded(request, .page) { try await lostPage(request, $0) } }
        router.get("/messages/:id") { request, context in
            try await guarded(request, .page) { identity in
                guard let id = PathParameter.messageId(context.parameters.get("id")) else {
                    return problem(.badRequest, "bad_request", identity: identity, request: request)
                }
                return try await messagePage(request, identity, id: id)
            }
        }
        router.get("/exports") { request, _ in
            try await guarded(request, .page, allowed: \.canReadAudit) { try await exportsPage(request, $0) }
        }
        router.get("/holds") { request, _ in
            try await guarded(request, .page, allowed: \.canReadAudit) { try await holdsPage(request, $0) }
        }
        router.get("/audit") { request, _ in
            try await guarded(request, .page, allowed: \.canReadAudit) { try await auditPage(request, $0) }
        }
    }

    var now: Instant { clock.now() }
    func format(_ request: Request) -> ViewFormat { ViewFormat(zone: settings.timeZone, lang: language(request)) }

    func dashboard(_ request: Request, _ identity: Identity) async throws -> Response {
        let f = format(request)
        let now = self.now
        let status = try await self.status.status(now: now)
        let weekStart = ISOWeek.containing(now, in: settings.timeZone).bounds(in: settings.timeZone).start
        let lost = try await data.lostCounts(since: weekStart)
        let known = Set(status.channels.map(\.name))
        var channels: [[String: Any]] = status.channels.map {
            ["name": $0.name, "messages": $0.messages, "pending": $0.pending, "atRisk": $0.atRisk, "overdue": $0.overdue,
             "archived": $0.archived, "lost": $0.lost, "unread": $0.unread, "lastMessageAt": $0.lastMessageAt.flatMap(Instant.init(rfc3339:)).map(f.time) ?? "-"]
        }
        for name in settings.channels where !known.contains(name) {
            channels.append(["name": name, "messages": 0, "pending": 0, "atRisk": 0, "overdue": 0, "archived": 0, "lost": 0, "unread": 0, "lastMessageAt": "-"])
        }
        let risk: [[String: Any]] = status.atRisk.items.map {
            ["due": Instant(rfc3339: $0.deadline).map(f.time) ?? $0.deadline, "kind": f.kind(MessageKind(rawValue: $0.kind) ?? .unknown),
             "chat": $0.chatId, "id": $0.messageId, "channel": $0.channel]
        }
        let lostWeek: [[String: Any]] = lost.sorted { $0.key < $1.key }.flatMap { channel, reasons in
            reasons.sorted { $0.key < $1.key }.map { ["channel": channel, "reason": $0.key, "count": $0.value] as [String: Any] }
        }
        let runs = LastRunLog(dataDir: settings.dataDir).all()
        let runRows: [[String: Any]] = ["sweep", "pack", "export", "verify", "purge"].map { command in
            guard let run = runs[command] else { return ["command": command, "finished": "-", "outcome": f.lang.text("never"), "failed": false] }
            return ["command": command, "finished": f.time(run.finishedAt), "outcome": run.outcome, "failed": !run.succeeded,
                    "summary": run.summary ?? ""]
        }
        var relay: [[String: Any]] = []
        if !settings.relayTargets.isEmpty {
            relay = try await data.relayLag(configured: settings.relayTargets, now: now).map {
                ["name": $0.name, "lagBodies": $0.lagBodies, "lagSeconds": $0.lagBodies == 0 ? "-" : "\(Int($0.lagSeconds)) s",
                 "failingSince": $0.failingSince.flatMap(Instant.init(rfc3339:)).map(f.time) ?? "", "lastError": $0.lastError ?? ""]
            }
        }
        try await audit.record("dashboard", who: identity.name, target: [])
        return html("dashboard", title: "dashboard", view: ["channels": channels, "risk": risk, "lostWeek": lostWeek, "runs": runRows,
                                                           "relay": relay, "weekStart": f.time(weekStart)],
                    identity: identity, request: request)
    }

    func chatList(_ request: Request, _ identity: Identity) async throws -> Response {
        let f = format(request)
        let q = Self.queryFields(request)["q"].map { String($0.prefix(200)) }
        let page = max(0, min(100_000, Int(request.uri.queryParameters.get("page") ?? "") ?? 0))
        let size = settings.pageSize
        var chats = try await data.chats(containing: q, limit: size + 1, offset: page * size)
        let more = chats.count > size
        chats = Array(chats.prefix(size))
        let rows: [[String: Any]] = chats.map { chat in
            ["chatId": chat.chatId, "name": Self.name(chat), "chatType": chat.chatType, "channel": chat.channel, "messages": chat.messages,
             "lastAt": chat.lastMessage.map { f.time($0.row.sentAt) } ?? "",
             "lastText": chat.lastMessage.map { String(f.summary($0.row).prefix(80)) } ?? ""]
        }
        try await audit.record("chats", who: identity.name, target: q.map { ["q=" + $0] } ?? [])
        return html("chats", title: "chats", view: [
            "chats": rows, "q": q ?? "",
            "prev": page > 0 ? Self.link("/chats", [("q", q), ("page", "\(page - 1)")]) : "",
            "next": more ? Self.link("/chats", [("q", q), ("page", "\(page + 1)")]) : "",
        ], identity: identity, request: request)
    }

    /// A group's name; a 1:1 chat is named for the customer (its id when no name is known).
    static func name(_ chat: ChatSummary) -> String {
        chat.name ?? (chat.chatType == "user" ? chat.lastMessage.flatMap { $0.row.direction == .incoming ? $0.row.senderName : nil } : nil) ?? chat.chatId
    }

    func conversation(_ request: Request, _ identity: Identity, chat chatId: String) async throws -> Response {
        guard let chat = try await data.chat(id: chatId) else { return problem(.notFound, "not_found", identity: identity, request: request) }
        let query = request.uri.queryParameters
        let position: ConversationPosition
        var focus: String?
        if let raw = query.get("before") {
            guard let cursor = PathParameter.cursor(raw) else { return problem(.badRequest, "bad_request", identity: identity, request: request) }
            position = .before(cursor)
        } else if let raw = query.get("after") {
            guard let cursor = PathParameter.cursor(raw) else { return problem(.badRequest, "bad_request", identity: identity, request: request) }
            position = .after(cursor)
        } else if let raw = query.get("around") {
            guard let id = PathParameter.messageId(raw) else { return problem(.badRequest, "bad_request", identity: identity, request: request) }
            position = .around(messageId: id)
            focus = id
        } else {
            position = .newest
        }
        let page = try await data.conversation(chatId: chatId, at: position, limit: settings.pageSize)
        let f = format(request)
        let path = "/chats/" + chatId
        try await audit.record("conversation", who: identity.name, target: [chatId] + (focus.map { ["around " + $0] } ?? []))
        return html("conversation", title: "chats", view: [
            "chat": ["chatId": chat.chatId, "name": Self.name(chat), "chatType": chat.chatType, "channel": chat.channel, "messages": chat.messages],
            "items": page.items.map { f.item($0, focus: focus) },
            "tags": try await data.tags(chat: chatId), "canTag": identity.role.canTag, "tagAction": "/chats/\(chatId)/tags",
            "older": page.hasOlder ? page.items.first.map { Self.link(path, [("before", PathParameter.text($0.cursor))]) } ?? "" : "",
            "newer": page.hasNewer ? page.items.last.map { Self.link(path, [("after", PathParameter.text($0.cursor))]) } ?? "" : "",
        ], identity: identity, request: request)
    }
}
