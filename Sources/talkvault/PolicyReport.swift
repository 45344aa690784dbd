import RetentionConfig
import TalkVaultDomain

/// What `check` prints: where the config came from, the paths, and one row per (kind, chat).
struct PolicyReport: Encodable {
    struct Row: Encodable {
        let kind: String
        let chat_type: String
        let window: String
        let window_seconds: Int64
        let margin: String
        let margin_seconds: Int64
        let at_risk_after: String
        let overridden: Bool
    }

    /// A listed channel: where LINE posts it, and the windows it sets for itself.
    struct Channel: Encodable {
        let name: String
        let webhook_path: String
        let destination: String?
        let read_state: String?
        let windows: [String: String]
    }

    /// `keep:`: how long TalkVault itself keeps things, each a duration or `forever`. Every kind
    /// is listed (forever unless set); tags, chat types and channels only as the file sets them.
    struct Keep: Encodable {
        let kinds: [String: String]
        let exports: String
        let tags: [String: String]
        let chat_types: [String: [String: String]]
        let channels: [String: [String: String]]

        init(_ rules: KeepRules) {
            func names(_ map: [MessageKind: KeepDuration]) -> [String: String] {
                Dictionary(uniqueKeysWithValues: map.map { ($0.key.rawValue, $0.value.description) })
            }
            kinds = Dictionary(uniqueKeysWithValues: MessageKind.allCases.map { ($0.rawValue, (rules.kinds[$0] ?? .forever).description) })
            exports = rules.exports.description
            tags = rules.tags.mapValues(\.description)
            chat_types = Dictionary(uniqueKeysWithValues: rules.chatTypes.map { ($0.key.rawValue, names($0.value)) })
            channels = rules.channels.mapValues(names)
        }

        /// One row per rule, named as under `keep:`, in a fixed order.
        var rows: [(String, String)] {
            func nested(_ prefix: String, _ map: [String: [String: String]], order: [String]) -> [(String, String)] {
                order.flatMap { outer in
                    MessageKind.allCases.compactMap { kind in map[outer]?[kind.rawValue].map { ("\(prefix).\(outer).\(kind.rawValue)", $0) } }
                }
            }
            return MessageKind.allCases.map { ($0.rawValue, kinds[$0.rawValue]!) } + [("exports", exports)]
                + tags.keys.sorted().map { ("tags.\($0)", tags[$0]!) }
                + nested("chat_types", chat_types, order: ChatType.allCases.map(\.rawValue))
                + nested("channels", channels, order: channels.keys.sorted())
        }
    }

    let source: String
    let timezone: String
    let safety_margin: String
    let paths: TalkVaultConfig.Paths
    let policy: [Row]
    /// Empty without `channels:`.
    let channels: [Channel]
    let keep: Keep
    /// `unsent:`: keep, redact or delete.
    let unsent: String
    /// What loads but deserves a look (a keep shorter than LINE's window), as `file:line:col: key: message`.
    let warnings: [String]

    init(config: TalkVaultConfig, paths: TalkVaultConfig.Paths) {
        source = config.source.description
        timezone = config.timeZoneIdentifier
        safety_margin = config.policy.safetyMargin.description
        self.paths = paths
        policy = config.policy.effectiveRows.map {
            Row(kind: $0.kind.rawValue, chat_type: $0.chatType.rawValue, window: $0.window.description,
                window_seconds: $0.window.seconds, margin: $0.margin.description, margin_seconds: $0.margin.seconds,
                at_risk_after: $0.atRiskAfter.description, overridden: $0.overridden)
        }
        channels = config.listsChannels ? config.channels.map { channel in
            Channel(name: channel.name, webhook_path: channel.webhookPath, destination: channel.destination,
                    read_state: channel.readMode?.rawValue,
                    windows: Dictionary(uniqueKeysWithValues: channel.windows.map { ($0.key.rawValue, $0.value.description) }))
        } : []
        keep = Keep(config.keep)
        unsent = config.keep.unsent.rawValue
        warnings = config.warnings.map(\.description)
    }

    func renderText() -> String {
        var out = "config: \(source) (valid)\n"
        out += "time zone: \(timezone)\n"
        out += "data dir: \(paths.dataDir)\n"
        out += "  database:    \(paths.database)\n  archive dir: \(paths.archiveDir)\n  export dir:  \(paths.exportDir)\n\n"
        let header = ["kind", "chat", "window", "margin", "at risk after", ""]
        let rows = policy.map { [$0.kind, $0.chat_type, $0.window, $0.margin, $0.at_risk_after, $0.overridden ? "(override)" : ""] }
        let widths = header.indices.map { col in ([header] + rows).map { $0[col].count }.max() ?? 0 }
        for row in [header] + rows {
            let line = row.enumerated().map { col, cell in cell.padding(toLength: widths[col], withPad: " ", startingAt: 0) }
            out += line.joined(separator: "  ").trimmingTrailingSpaces() + "\n"
        }
        if !channels.isEmpty { out += "\nchannels:\n" }
        for channel in channels {
            var line = "  \(channel.name)  \(channel.webhook_path)"
            if let destination = channel.destination { line += "  destination \(destination)" }
            if let mode = channel.read_state { line += "  read_state \(mode)" }
            if !channel.windows.isEmpty {
                line += "  windows: " + channel.windows.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            }
            out += line + "\n"
        }
        out += "\nkeep (from the time sent; exports from the end of their week; a tag wins when longer):\n"
        let keepRows = keep.rows
        let keepWidth = keepRows.map(\.0.count).max() ?? 0
        for (name, duration) in keepRows {
            out += "  " + name.padding(toLength: keepWidth, withPad: " ", startingAt: 0) + "  " + duration + "\n"
        }
        out += "unsent: \(unsent)\n"
        return out
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = Substring(self)
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
