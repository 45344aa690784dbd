import Foundation
import Hummingbird
import Lookup
import Store
import TalkVaultDomain

extension Console {
    /// `find`'s filters from the query: q (text), chat, user, kind, state, since and until (dates
    /// in the configured zone, until inclusive), channel, tag. Nil when one is not valid.
    func findQuery(_ request: Request) -> (FindQuery, [String: String])? {
        let parameters = Self.queryFields(request)
        var form: [String: String] = [:]
        for name in ["q", "chat", "user", "kind", "state", "since", "until", "channel", "tag"] {
            if let value = parameters[name], !value.isEmpty { form[name] = String(value.prefix(200)) }
        }
        var query = FindQuery()
        query.text = form["q"]
        query.chat = form["chat"]
        query.user = form["user"]
        query.tag = form["tag"]
        if let channel = form["channel"] { query.channels = [channel] }
        if let kind = form["kind"] {
            guard let parsed = MessageKind(rawValue: kind) else { return nil }
            query.kinds = [parsed]
        }
        if let state = form["state"] {
            guard Self.states.contains(state) || state.hasPrefix("lost:") else { return nil }
            query.states = [state]
        }
        for (name, edge) in [("since", TimeArgument.Edge.start), ("until", .end)] {
            guard let text = form[name] else { continue }
            guard let instant = TimeArgument.parse(text, edge: edge, in: settings.timeZone) else { return nil }
            if edge == .start { query.since = instant } else { query.until = instant }
        }
        return (query, form)
    }

    static let states = ["received", "content_due", "downloaded", "archived", "lost", "unsent", "edited"]

    func searchPage(_ request: Request, _ identity: Identity) async throws -> Response {
        guard let (base, form) = findQuery(request) else { return problem(.badRequest, "bad_request", identity: identity, request: request) }
        let f = format(request)
        var view: [String: Any] = [
            "form": form,
            "kinds": MessageKind.allCases.map { ["value": $0.rawValue, "label": f.kind($0), "selected": form["kind"] == $0.rawValue] },
            "states": Self.states.map { ["value": $0, "label": f.lang.text("state_" + $0), "selected": form["state"] == $0] },
        ]
        guard !form.isEmpty else { return html("search", title: "search", view: view, identity: identity, request: request) }
        var query = base
        query.newestFirst = true
        query.limit = settings.pageSize + 1
        if let raw = request.uri.queryParameters.get("after") {
            guard let cursor = PathParameter.cursor(raw) else { return problem(.badRequest, "bad_request", identity: identity, request: request) }
            query.after = cursor
        }
        try await audit.record("search", who: identity.name, target: form.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })
        var found = try await data.find(query)
        let more = found.count > settings.pageSize
        found = Array(found.prefix(settings.pageSize))
        // Counted up to 10,000: past that the page says so, rather than count every match.
        let total = try await data.count(base, atMost: 10_000)
        view["searched"] = true
        view["total"] = total > 10_000 ? "10,000+" : "\(total)"
        view["results"] = found.map { m -> [String: Any] in
            let row = m.row
            return ["id": row.id, "chatId": row.chatId, "chatName": row.chatName ?? row.chatId, "sent": f.time(row.sentAt),
                    "sender": row.senderName ?? row.senderId ?? "", "kind": f.kind(row.kind), "state": f.state(row),
                    "stateClass": row.state.rawValue, "summary": String(f.summary(row).prefix(300))]
        }
        if more, let last = found.last {
            view["more"] = Self.link("/search", form.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
                                     + [("after", PathParameter.text(PageCursor(sentAt: last.row.sentAt, id: last.row.id)))])
        }
        return html("search", title: "search", view: view, identity: identity, request: request)
    }

    func lostPage(_ request: Request, _ identity: Identity) async throws -> Response {
        var query = FindQuery()
        let reason = request.uri.queryParameters.get("reason")
        if let reason {
            guard LossReason(rawValue: reason) != nil else { return problem(.badRequest, "bad_request", identity: identity, request: request) }
            query.states = ["lost:" + reason]
        } else {
            query.states = ["lost"]
        }
        query.newestFirst = true
        query.limit = settings.pageSize + 1
        if let raw = request.uri.queryParameters.get("after") {
            guard let cursor = PathParameter.cursor(raw) else { return problem(.badRequest, "bad_request", identity: identity, request: request) }
            query.after = cursor
        }
        try await audit.record("lost", who: identity.name, target: reason.map { [$0] } ?? [])
        var found = try await data.find(query)
        let more = found.count > settings.pageSize
        found = Array(found.prefix(settings.pageSize))
        let f = format(request)
        let items: [[String: Any]] = found.map {
            ["id": $0.row.id, "chatId": $0.row.chatId, "chatName": $0.row.chatName ?? $0.row.chatId, "sent": f.time($0.row.sentAt),
             "kind": f.kind($0.row.kind), "reason": $0.row.reason ?? ""]
        }
        var view: [String: Any] = ["items": items]
        if more, let last = found.last {
            view["more"] = Self.link("/lost", [("reason", reason), ("after", PathParameter.text(PageCursor(sentAt: last.row.sentAt, id: last.row.id)))])
        }
        return html("lost", title: "lost", view: view, identity: identity, request: request)
    }

    func messagePage(_ request: Request, _ identity: Identity, id: String) async throws -> Response {
        let f = format(request)
        guard let detail = try await data.detail(id: id) else {
            if let tombstone = try await data.tombstone(id: id) {
                try await audit.record("message", who: identity.name, target: [id], outcome: "purged")
                return html("message", title: "message", view: [
                    "id": id, "chatId": tombstone.chat.id,
                    "fields": [["label": f.lang.text("state"), "value": f.item(.purged(tombstone), focus: nil)["purged"] ?? ""]],
                ], identity: identity, request: request)
            }
            return problem(.notFound, "not_found", identity: identity, request: request)
        }
        try await audit.record("message", who: identity.name, target: [id])
        let row = detail.found.row
        let fields = DetailFormat.fields(detail, zone: settings.timeZone).map { ["label": $0.0, "value": $0.1] }
        let image = row.kind == .image && row.contentSegment != nil && ContentHeaders.inlineImage(detail.contentType)
        return html("message", title: "message", view: [
            "id": id, "chatId": row.chatId, "fields": fields, "image": image, "fileName": row.fileName ?? id,
            "restorable": Self.hasBytes(detail.found),
            "edits": detail.edits.map { ["at": f.time($0.editedAt), "text": $0.text ?? ""] },
            "history": detail.history.map { ["at": f.time($0.at), "what": $0.what, "detail": $0.detail ?? ""] },
            "exports": detail.exports.map { "\($0.week) (\($0.profile))" },
            "canMarkRead": identity.role.canMarkRead && row.readAt == nil, "canTag": identity.role.canTag,
            "tags": try await data.tags(message: id), "chatTags": try await data.tags(chat: row.chatId), "tagAction": "/messages/\(id)/tags",
        ], identity: identity, request: request)
    }
}
