import Accounts
import Export
import Foundation
import Hummingbird
import LastRuns
import Lookup
import Store
import TalkVaultDomain

/// The console's only writes: read marks, tags, holds, and the last week's export, each for a
/// manager, each behind the form's CSRF token, each in the audit trail as the CLI records it.
extension Console {
    func addActions(to router: Router<ConsoleContext>) {
        router.post("/messages/:id/read") { request, context in
            try await action(request, allowed: \.canMarkRead) { identity, _ in
                guard let id = PathParameter.messageId(context.parameters.get("id")) else { return nil }
                _ = try await recorded(identity, "mark-read", target: [id]) {
                    let result = try await data.markRead(ids: [id], by: identity.name, at: now)
                    guard result.unknown.isEmpty else { throw ActionRefused("\(id) is not in the ledger") }
                    return result
                }
                return "/messages/\(id)"
            }
        }
        router.post("/messages/:id/tags") { request, context in
            try await tagAction(request, message: PathParameter.messageId(context.parameters.get("id")), chat: nil)
        }
        router.post("/chats/:chat/tags") { request, context in
            try await tagAction(request, message: nil, chat: PathParameter.chat(context.parameters.get("chat")))
        }
        router.post("/holds") { request, _ in
            try await action(request, allowed: \.canManageHolds) { identity, fields in
                guard let name = fields["name"], TagName.isValid(name), let reason = fields["reason"], !reason.isEmpty, reason.count <= 500 else { return nil }
                let chat = fields["chat"].flatMap { $0.isEmpty ? nil : $0 }, user = fields["user"].flatMap { $0.isEmpty ? nil : $0 }
                if let chat, PathParameter.chat(chat) == nil { return nil }
                if let user, PathParameter.chat(user) == nil { return nil }
                var bounds: [Instant?] = []
                for (key, edge) in [("since", TimeArgument.Edge.start), ("until", .end)] {
                    guard let text = fields[key], !text.isEmpty else { bounds.append(nil); continue }
                    guard let instant = TimeArgument.parse(text, edge: edge, in: settings.timeZone) else { return nil }
                    bounds.append(instant)
                }
                let hold = LegalHold(name: name, reason: reason, chats: chat.map { [$0] } ?? [], users: user.map { [$0] } ?? [],
                                     since: bounds[0], until: bounds[1], createdAt: now, createdBy: identity.name)
                try await recorded(identity, "hold add", target: [name], reason: reason) {
                    guard try await data.addHold(hold) else { throw ActionRefused("a hold named \(name) exists (released holds keep their name)") }
                }
                return "/holds?done=added"
            }
        }
        router.post("/holds/:name/release") { request, context in
            try await action(request, allowed: \.canManageHolds) { identity, fields in
                // The router leaves a path parameter percent-encoded: a hold named in Japanese arrives as %E4….
                guard let name = context.parameters.get("name")?.removingPercentEncoding, TagName.isValid(name), let reason = fields["reason"], !reason.isEmpty,
                      reason.count <= 500 else { return nil }
                try await recorded(identity, "hold release", target: [name], reason: reason) {
                    guard try await data.releaseHold(named: name, release: .init(at: now, by: identity.name, reason: reason)) else {
                        throw ActionRefused("no active hold named \(name)")
                    }
                }
                return "/holds?done=released"
            }
        }
        router.post("/exports") { request, _ in
            try await action(request, allowed: \.canExport) { identity, fields in
                let week = ISOWeek.lastComplete(before: now, in: settings.timeZone)
                guard fields["week"] == "\(week)" else { return nil }
                let rows = try await recorded(identity, "export", target: ["\(week)", "--profile full"]) { try await makeExport(week) }
                return Self.link("/exports", [("made", "\(week)"), ("rows", "\(rows)")])
            }
        }
    }

    /// Adds (`action=add`, the default) or removes (`action=remove`) the form's tag on a message
    /// or a chat, as `tag add` and `tag remove` do: a tag an active hold names is not taken off.
    func tagAction(_ request: Request, message: String?, chat: String?) async throws -> Response {
        try await action(request, allowed: \.canTag) { identity, fields in
            guard message != nil || chat != nil, let tag = fields["tag"].map(TagName.normalized), TagName.isValid(tag) else { return nil }
            let target = message ?? chat!
            let back = message.map { "/messages/\($0)" } ?? "/chats/\(target)"
            guard [nil, "add", "remove"].contains(fields["action"]) else { return nil }
            if fields["action"] == "remove" {
                _ = try await recorded(identity, "tag remove", target: [tag, target]) {
                    if let hold = try await data.holds().activeHold(namingTag: tag) {
                        throw ActionRefused("the active hold \(hold.name) covers the tag \(tag)")
                    }
                    guard try await data.untag(tag, messages: message.map { [$0] } ?? [], chats: chat.map { [$0] } ?? []) > 0 else {
                        throw ActionRefused("\(target) has no tag \(tag)")
                    }
                    return true
                }
            } else {
                _ = try await recorded(identity, "tag add", target: [tag, target]) {
                    let result = try await data.tag(tag, messages: message.map { [$0] } ?? [], chats: chat.map { [$0] } ?? [], by: identity.name, at: now)
                    guard result.unknown.isEmpty else { throw ActionRefused("\(target) is not in the ledger") }
                    return result
                }
            }
            return back
        }
    }

    /// A POST: the caller allowed, the form's CSRF token theirs, then `body`; it answers where to
    /// go next (303), or nil for a form it refuses (400).
    func action(_ request: Request, allowed: @escaping (ConsoleRole) -> Bool,
                _ body: (Identity, [String: String]) async throws -> String?) async throws -> Response {
        try await guarded(request, .page, allowed: allowed) { identity in
            guard let fields = try await form(request, identity: identity) else {
                return problem(.forbidden, "form_expired", identity: identity, request: request)
            }
            do {
                guard let next = try await body(identity, fields) else { return problem(.badRequest, "bad_request", identity: identity, request: request) }
                return Self.redirect(next)
            } catch is ActionRefused {
                return problem(.badRequest, "bad_request", identity: identity, request: request)
            }
        }
    }

    /// Runs `body` and records it in the audit trail under the CLI's action name, failed or not.
    /// The trail is checked first, as the CLI does: a change it could not record is not made.
    @discardableResult
    func recorded<T>(_ identity: Identity, _ action: String, target: [String], reason: String? = nil,
                     _ body: () async throws -> T) async throws -> T {
        try await audit.checkWritable()
        do {
            let result = try await body()
            try await audit.log(action, who: identity.name, target: target, reason: reason, outcome: "ok")
            return result
        } catch {
            try? await audit.log(action, who: identity.name, target: target, reason: reason, outcome: "failed: \(error)")
            throw error
        }
    }

    /// The export of `week` for every channel, as `talkvault export` makes it; the rows written.
    func makeExport(_ week: ISOWeek) async throws -> Int {
        let started = now
        do {
            var rows = 0, made = 0
            for channel in exportChannels {
                guard let exportSettings = settings.exportSettings[channel] else { continue }
                let now = self.now
                let result = try await data.export(week, settings: exportSettings, now: now)
                rows += result.rows
                if !result.alreadyDelivered { made += 1 }
            }
            try? LastRunLog(dataDir: settings.dataDir).record(LastRun(command: "export", startedAt: started, finishedAt: now, outcome: "ok",
                                                                      summary: "\(week): \(made) files, \(rows) rows (from the console)"))
            return rows
        } catch {
            try? LastRunLog(dataDir: settings.dataDir).record(LastRun(command: "export", startedAt: started, finishedAt: now,
                                                                      outcome: "failed: \(error)"))
            throw error
        }
    }

    /// The channels whose weekly export the console makes and lists.
    var exportChannels: [String] { settings.channels.isEmpty ? [ChannelName.implicit] : settings.channels }
}

/// A change the console did not make (a hold of that name exists, an id the ledger does not
/// know): recorded in the trail as failed, answered 400.
struct ActionRefused: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
