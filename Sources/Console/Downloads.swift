import DurableFile
import Export
import Foundation
import HTTPTypes
import Hummingbird
import Ledger
import NIOCore
import Packing
import Store
import TalkVaultDomain

extension Console {
    func addDownloads(to router: Router<ConsoleContext>) {
        router.get("/messages/:id/content") { request, context in
            try await guarded(request, .download, allowed: \.canRestore) { identity in
                guard let id = PathParameter.messageId(context.parameters.get("id")) else { return Self.plain(.badRequest, "not a message id") }
                return try await content(request, identity, id: id)
            }
        }
        router.get("/exports/:file") { request, context in
            try await guarded(request, .download, allowed: \.canReadAudit) { identity in
                try await exportFile(request, identity, file: context.parameters.get("file") ?? "")
            }
        }
    }

    /// Whether a message has bytes to download: archived content, or an archived text's text.
    /// (A sticker, a place or a lost item has only its record, which the message page shows.)
    static func hasBytes(_ found: FoundMessage) -> Bool {
        found.row.contentSegment != nil || (found.row.kind == .text && found.recordSegment != nil)
    }

    static func plain(_ status: HTTPResponse.Status, _ text: String) -> Response {
        var response = Response(status: status, body: .init(byteBuffer: ByteBuffer(string: text + "\n")))
        response.headers[.contentType] = "text/plain; charset=utf-8"
        return response
    }

    /// A message's verified bytes from its segment: the content as recorded, or a text message's text.
    func content(_ request: Request, _ identity: Identity, id: String) async throws -> Response {
        guard let detail = try await data.detail(id: id) else {
            if try await data.tombstone(id: id) != nil { return Self.plain(.gone, "message \(id) was purged") }
            return Self.plain(.notFound, "no message \(id)")
        }
        let row = detail.found.row
        guard Self.hasBytes(detail.found) else {
            return Self.plain(.notFound, "message \(id) has no archived bytes to download (\(row.kind.rawValue), \(row.state.rawValue))")
        }
        var response = Response(status: .ok)
        if row.contentSegment != nil {
            let wantsInline = request.uri.queryParameters.get("inline") == "1" && ContentHeaders.inlineImage(detail.contentType)
            response.headers[.contentType] = ContentHeaders.contentType(detail.contentType)
            response.headers[.contentDisposition] = ContentHeaders.disposition(fileName: row.fileName ?? id,
                                                                               inline: wantsInline)
            if let size = detail.found.contentSize { response.headers[.contentLength] = "\(size)" }
        } else {
            response.headers[.contentType] = "text/plain; charset=utf-8"
            response.headers[.contentDisposition] = ContentHeaders.disposition(fileName: id + ".txt", inline: false)
        }
        try await audit.record("download", who: identity.name, target: [id])
        let ledgerPath = settings.ledgerPath, policy = settings.policy, archiveDir = settings.archiveDir
        response.body = ContentStream.body(contentLength: row.contentSegment != nil ? detail.found.contentSize.map { Int($0) } : nil) { sink in
            // A connection of its own: a large file must not hold the pages' connection.
            let ledger = try Ledger(path: ledgerPath, policy: policy, access: .readOnly)
            try Restorer(index: ledger.archiveIndex, archiveDir: archiveDir).stream(id: id, to: sink)
        }
        return response
    }

    /// `WEEK.csv` or `WEEK.manifest.json` of a delivered week; `?channel=` and `?profile=` pick
    /// among several (the first channel and the full profile by default).
    func exportFile(_ request: Request, _ identity: Identity, file: String) async throws -> Response {
        let suffix = file.hasSuffix(".csv") ? ".csv" : file.hasSuffix(".manifest.json") ? ".manifest.json" : nil
        guard let suffix, let week = PathParameter.week(String(file.dropLast(suffix.count))),
              let (channel, profile) = exportSelection(request) else { return Self.plain(.badRequest, "expected WEEK.csv or WEEK.manifest.json, like 2026-W47.csv") }
        let delivered = try await data.deliveredWeeks(profile: ExportKey.profile(profile.rawValue, channel: channel))
        guard let export = delivered["\(week)"] else { return Self.plain(.notFound, "\(week) was not delivered") }
        if let rule = export.purgedUnder { return Self.plain(.gone, "the files of \(week) were removed under \(rule)") }
        let stem = Exporter.fileStem(week: week, channel: channel, profile: profile)
        let path = settings.exportDir + "/" + stem + suffix
        guard let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int64 else {
            return Self.plain(.notFound, "\(stem)\(suffix) is missing from the export dir")
        }
        // The CSV as delivered, or nothing: its SHA-256 is in the ledger (a manifest's is not).
        let expected = suffix == ".csv" ? export.sha256 : nil
        if let expected, (try? FileDigest.sha256(ofFile: path))?.sha256 != expected.lowercased() {
            return Self.plain(.conflict, "\(stem)\(suffix) is not the file delivered: its SHA-256 differs from the one recorded")
        }
        try await audit.record("export download", who: identity.name, target: [stem + suffix])
        var response = Response(status: .ok)
        response.headers[.contentType] = suffix == ".csv" ? "text/csv; charset=utf-8" : "application/json"
        response.headers[.contentDisposition] = ContentHeaders.disposition(fileName: stem + suffix, inline: false)
        response.headers[.contentLength] = "\(size)"
        response.body = ContentStream.body(contentLength: Int(size), ContentStream.file(path, sha256: expected))
        return response
    }

    /// The channel and profile a request names, defaulting to the first channel and `full`.
    func exportSelection(_ request: Request) -> (String, ExportProfile)? {
        let parameters = request.uri.queryParameters
        let channel = parameters.get("channel") ?? settings.channels.first ?? ChannelName.implicit
        guard PathParameter.channel(channel) != nil,
              settings.channels.isEmpty || settings.channels.contains(channel),
              let profile = ExportProfile(rawValue: parameters.get("profile") ?? "full") else { return nil }
        return (channel, profile)
    }
}
