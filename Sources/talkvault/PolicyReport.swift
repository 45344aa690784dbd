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

    let source: String
    let timezone: String
    let safety_margin: String
    let paths: TalkVaultConfig.Paths
    let policy: [Row]
    /// Empty without `channels:`.
    let channels: [Channel]

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
