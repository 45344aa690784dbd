import Export
import Foundation
import Hummingbird
import Store
import TalkVaultDomain

extension Console {
    /// The delivered weeks, newest first, with their manifests' figures.
    func exportsPage(_ request: Request, _ identity: Identity) async throws -> Response {
        guard let (_, profile) = exportSelection(request) else { return problem(.badRequest, "bad_request", identity: identity, request: request) }
        let lang = language(request)
        var weeks: [[String: Any]] = []
        for channel in exportChannels {
            let delivered = try await data.deliveredWeeks(profile: ExportKey.profile(profile.rawValue, channel: channel))
            for (week, export) in delivered.sorted(by: { $0.key > $1.key }).prefix(104) {
                guard let parsed = ISOWeek(parsing: week) else { continue }
                let manifest = Self.manifest(settings.exportDir + "/" + Exporter.fileStem(week: parsed, channel: channel, profile: profile) + ".manifest.json")
                var query: [(String, String?)] = []
                if settings.channels.count > 1 { query.append(("channel", channel)) }
                if profile != .full { query.append(("profile", profile.rawValue)) }
                weeks.append(["week": week, "channel": channel, "rows": export.rows, "lateRows": manifest?.lateRows.count ?? 0,
                              "unread": manifest?.unread.total ?? 0, "lost": manifest?.lost.count ?? 0, "purgedUnder": export.purgedUnder ?? "",
                              "query": Self.link("", query)])
            }
        }
        weeks.sort { ($0["week"] as? String ?? "") > ($1["week"] as? String ?? "") }
        let due = ISOWeek.lastComplete(before: now, in: settings.timeZone)
        let dueKey = "\(due)"
        // The button makes the full profile's export: it shows while any channel lacks that week.
        var missing = ""
        for channel in exportChannels where try await data.deliveredWeeks(profile: ExportKey.profile(ExportProfile.full.rawValue, channel: channel))[dueKey] == nil {
            missing = dueKey
        }
        try await audit.record("exports", who: identity.name, target: [])
        var notice: String?
        // Only a week and a count: the notice must not say whatever a link someone sent puts in it.
        if let made = request.uri.queryParameters.get("made"), PathParameter.week(made) != nil {
            let rows = request.uri.queryParameters.get("rows").flatMap { $0.utf8.count <= 12 ? Int($0) : nil }.map(String.init) ?? "?"
            notice = ViewFormat.fill(lang.text("export_made"), made, rows)
        }
        return html("exports", title: "exports", view: [
            "weeks": weeks, "due": missing, "canExport": identity.role.canExport,
            "makeLabel": ViewFormat.fill(lang.text("make_export"), missing),
        ], identity: identity, request: request, notice: notice)
    }

    static func manifest(_ path: String) -> ExportManifest? {
        guard let data = FileManager.default.contents(atPath: path), data.count < 64 << 20 else { return nil }
        return try? JSONDecoder().decode(ExportManifest.self, from: data)
    }
}
