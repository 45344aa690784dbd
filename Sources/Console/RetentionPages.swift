import AuditTrail
import Foundation
import Hummingbird
import TalkVaultDomain

extension Console {
    func holdsPage(_ request: Request, _ identity: Identity) async throws -> Response {
        let f = format(request)
        let holds = try await data.holds()
        try await audit.record("holds", who: identity.name, target: [])
        let rows: [[String: Any]] = holds.map { hold in
            var scope: [String] = hold.chats.map { "chat \($0)" } + hold.users.map { "user \($0)" }
            if let channel = hold.channel { scope.append("channel \(channel)") }
            if let tag = hold.tag { scope.append("tag \(tag)") }
            if hold.since != nil || hold.until != nil {
                scope.append((hold.since.map(f.time) ?? "…") + " – " + (hold.until.map(f.time) ?? "…"))
            }
            return ["name": hold.name, "scope": scope.isEmpty ? f.lang.text("all_chats") : scope.joined(separator: ", "), "reason": hold.reason,
                    "created": f.time(hold.createdAt) + " " + hold.createdBy,
                    "released": hold.released.map { f.time($0.at) + " " + $0.by + ": " + $0.reason } ?? f.lang.text("active"),
                    "canRelease": hold.isActive && identity.role.canManageHolds]
        }
        let done = request.uri.queryParameters.get("done")
        let notice = done == "added" ? f.lang.text("hold_added") : done == "released" ? f.lang.text("hold_released") : nil
        return html("holds", title: "holds", view: ["holds": rows, "canManage": identity.role.canManageHolds],
                    identity: identity, request: request, notice: notice)
    }

    func auditPage(_ request: Request, _ identity: Identity) async throws -> Response {
        let f = format(request)
        var before: Int64?
        if let raw = request.uri.queryParameters.get("before") {
            guard raw.utf8.count <= 18, let seq = Int64(raw), seq > 0 else { return problem(.badRequest, "bad_request", identity: identity, request: request) }
            before = seq
        }
        // Recorded first: the page itself shows the entry it adds.
        try await audit.record("audit", who: identity.name, target: [])
        let (entries, more) = try await audit.entries(before: before, limit: 100)
        let rows: [[String: Any]] = entries.map {
            ["seq": $0.seq, "at": f.time($0.at), "who": $0.who, "action": $0.action, "target": $0.target.joined(separator: ", "),
             "reason": $0.reason ?? "", "outcome": $0.outcome]
        }
        var view: [String: Any] = ["entries": rows]
        if more, let last = entries.last { view["more"] = Self.link("/audit", [("before", "\(last.seq)")]) }
        return html("audit", title: "audit", view: view, identity: identity, request: request)
    }
}
