import Foundation
import TalkVaultDomain
import Yams

/// Walks the YAML node tree, collecting every issue rather than stopping at the first.
struct Validator {
    let file: String
    let baseDirectory: String
    var issues: [ConfigIssue] = []
    /// Problems found past the first `maxIssues`: counted, not kept (a file of 500,000 unknown
    /// keys must not print 100 MB of errors).
    var unlisted = 0
    static let maxIssues = 100
    /// `console:`, read as the walk finds it.
    var console = TalkVaultConfig.ConsoleSettings()

    static let topLevelKeys = ["timezone", "data_dir", "paths", "capture", "archive", "sweep", "read_state", "line", "relay", "channels", "windows", "chat_overrides", "safety_margin", "keep", "unsent", "console"]
    static let captureKeys = ["webhook_path", "max_body_bytes", "profile_refresh", "idle_timeout", "read_timeout"]
    static let archiveKeys = ["compression_level", "member_target_bytes", "segment_max_bytes"]
    static let sweepKeys = ["concurrency", "rate_limit", "burst", "max_attempts", "transcode_wait", "request_timeout", "disk_reserve_bytes"]
    static let lineKeys = ["api_base_url", "data_api_base_url"]
    static let pathKeys = ["database", "archive_dir", "export_dir"]

    init(file: String, baseDirectory: String) {
        self.file = file
        self.baseDirectory = baseDirectory
    }

    mutating func validate(_ root: Node?, source: TalkVaultConfig.Source) -> TalkVaultConfig? {
        var timeZone = "Asia/Tokyo"
        var dataDir = "/var/lib/talkvault"
        var paths = ["database": "ledger.sqlite3", "archive_dir": "archive", "export_dir": "exports"]
        var windows: [MessageKind: RetentionDuration] = [:]
        var windowNodes: [MessageKind: Node] = [:]
        var overrides: [ChatType: [MessageKind: RetentionDuration]] = [:]
        var margin = RetentionPolicy.lineDefaults.safetyMargin
        var marginNode: Node?
        var webhookPath = "/webhook"
        var maxBodyBytes = 1 << 20
        var profileRefresh = RetentionDuration.days(7)
        var idleTimeout = RetentionDuration(seconds: 60), readTimeout = RetentionDuration(seconds: 10)
        var archive = TalkVaultConfig.ArchiveSettings()
        var sweep = TalkVaultConfig.SweepSettings()
        var readMode = ReadMode.line
        var urls = ["api_base_url": "https://api.line.me", "data_api_base_url": "https://api-data.line.me"]
        var relayNode: Node?, channelsNode: Node?, keepNode: Node?, unsentNode: Node?

        if let root, !isNull(root) {
            guard let top = mapping(root, key: "") else { return nil }
            for entry in top {
                let key = entry.name, value = entry.value
                switch key {
                case "timezone":
                    guard let text = string(value, key: key) else { continue }
                    if TimeZone(identifier: text) == nil {
                        report(value, key: key, "unknown time zone '\(ConfigIssue.clip(text))' (use an IANA name such as Asia/Tokyo)")
                    } else {
                        timeZone = text
                    }
                case "data_dir":
                    guard let text = string(value, key: key) else { continue }
                    if text.isEmpty { report(value, key: key, "must not be empty"); continue }
                    dataDir = TalkVaultConfig.absolute(text, base: baseDirectory)
                case "paths":
                    guard let entries = mapping(value, key: key) else { continue }
                    for entry in entries {
                        let name = entry.name, node = entry.value
                        let path = "paths.\(name)"
                        guard Self.pathKeys.contains(name) else {
                            unknownKey(entry, key: path, expected: Self.pathKeys); continue
                        }
                        guard let text = string(node, key: path) else { continue }
                        if let problem = Self.relativePathProblem(text) {
                            report(node, key: path, problem)
                        } else {
                            paths[name] = text
                        }
                    }
                case "capture":
                    guard let entries = mapping(value, key: key) else { continue }
                    for entry in entries {
                        let path = "capture.\(entry.name)"
                        switch entry.name {
                        case "webhook_path":
                            guard let text = string(entry.value, key: path) else { continue }
                            if let problem = Self.webhookPathProblem(text) {
                                report(entry.value, key: path, problem)
                            } else {
                                webhookPath = Self.routedPath(text)
                            }
                        case "max_body_bytes":
                            guard let text = string(entry.value, key: path) else { continue }
                            if let bytes = Int(text), bytes >= 1_024, bytes <= 64 << 20 {
                                maxBodyBytes = bytes
                            } else {
                                report(entry.value, key: path, "must be a whole number of bytes from 1024 to 67108864")
                            }
                        case "profile_refresh":
                            guard let duration = duration(entry.value, key: path) else { continue }
                            if duration.seconds > 0 { profileRefresh = duration } else { report(entry.value, key: path, "must be longer than zero") }
                        case "idle_timeout", "read_timeout":
                            guard let duration = duration(entry.value, key: path) else { continue }
                            guard duration.seconds > 0, duration.seconds <= 3_600 else {
                                report(entry.value, key: path, "must be from 1s to 1h"); continue
                            }
                            if entry.name == "idle_timeout" { idleTimeout = duration } else { readTimeout = duration }
                        default:
                            unknownKey(entry, key: path, expected: Self.captureKeys)
                        }
                    }
                case "archive":
                    guard let entries = mapping(value, key: key) else { continue }
                    for entry in entries {
                        let path = "archive.\(entry.name)"
                        guard Self.archiveKeys.contains(entry.name) else { unknownKey(entry, key: path, expected: Self.archiveKeys); continue }
                        guard let text = string(entry.value, key: path) else { continue }
                        let number = Int(text)
                        switch entry.name {
                        case "compression_level":
                            if let number, (1...9).contains(number) { archive.compressionLevel = number } else {
                                report(entry.value, key: path, "must be a zlib level from 1 (fastest) to 9 (smallest)")
                            }
                        case "member_target_bytes":
                            if let number, number >= 16 << 10, number <= 16 << 20 { archive.memberTargetBytes = number } else {
                                report(entry.value, key: path, "must be a whole number of bytes from 16384 to 16777216")
                            }
                        default:
                            if let number, number >= 1 << 20 { archive.segmentMaxBytes = Int64(number) } else {
                                report(entry.value, key: path, "must be a whole number of bytes, at least 1048576")
                            }
                        }
                    }
                case "sweep":
                    guard let entries = mapping(value, key: key) else { continue }
                    for entry in entries {
                        let path = "sweep.\(entry.name)"
                        guard Self.sweepKeys.contains(entry.name) else { unknownKey(entry, key: path, expected: Self.sweepKeys); continue }
                        switch entry.name {
                        case "transcode_wait", "request_timeout":
                            guard let duration = duration(entry.value, key: path) else { continue }
                            guard duration.seconds > 0, duration.seconds <= 86_400 else {
                                report(entry.value, key: path, "must be from 1s to 1d"); continue
                            }
                            if entry.name == "transcode_wait" { sweep.transcodeWait = duration } else { sweep.requestTimeout = duration }
                        default:
                            guard let text = string(entry.value, key: path) else { continue }
                            let number = Double(text)
                            switch entry.name {
                            case "concurrency":
                                if let n = Int(text), (1...256).contains(n) { sweep.concurrency = n } else {
                                    report(entry.value, key: path, "must be a whole number from 1 to 256")
                                }
                            case "max_attempts":
                                if let n = Int(text), (1...100).contains(n) { sweep.maxAttempts = n } else {
                                    report(entry.value, key: path, "must be a whole number from 1 to 100")
                                }
                            case "rate_limit":
                                if let number, number > 0, number <= 2_000 { sweep.rateLimit = number } else {
                                    report(entry.value, key: path, "must be requests per second, above 0 and at most LINE's 2000")
                                }
                            case "disk_reserve_bytes":
                                if let n = Int64(text), n >= 16 << 20, n <= 1 << 50 { sweep.diskReserveBytes = n } else {
                                    report(entry.value, key: path, "must be a whole number of bytes from 16777216 (what a pack keeps free) to 1125899906842624")
                                }
                            default:
                                if let number, number >= 1 { sweep.burst = number } else { report(entry.value, key: path, "must be at least 1") }
                            }
                        }
                    }
                case "read_state":
                    guard let text = string(value, key: key) else { continue }
                    if let mode = ReadMode(rawValue: text) { readMode = mode } else {
                        report(value, key: key, "must be line (ask LINE's markAsReadMode), auto or manual (got '\(ConfigIssue.clip(text))')")
                    }
                case "line":
                    guard let entries = mapping(value, key: key) else { continue }
                    for entry in entries {
                        let path = "line.\(entry.name)"
                        guard Self.lineKeys.contains(entry.name) else { unknownKey(entry, key: path, expected: Self.lineKeys); continue }
                        guard let text = string(entry.value, key: path) else { continue }
                        if let url = URL(string: text), ["http", "https"].contains(url.scheme ?? ""), url.host != nil, !text.hasSuffix("/") {
                            urls[entry.name] = text
                        } else {
                            report(entry.value, key: path, "must be an http(s) URL without a trailing slash (got '\(ConfigIssue.clip(text))')")
                        }
                    }
                case "channels":
                    channelsNode = value
                case "keep":
                    keepNode = value
                case "unsent":
                    unsentNode = value
                case "console":
                    consoleSettings(value)
                case "relay":
                    // After the loop: a target may not point at the webhook path, wherever it is set.
                    relayNode = value
                case "windows":
                    guard let entries = mapping(value, key: key) else { continue }
                    for entry in entries {
                        let name = entry.name, node = entry.value
                        guard let kind = kind(entry, prefix: key),
                              let window = window(node, key: "windows.\(name)") else { continue }
                        windows[kind] = window
                        windowNodes[kind] = node
                    }
                case "chat_overrides":
                    guard let chats = mapping(value, key: key) else { continue }
                    for chatEntry in chats {
                        let chatName = chatEntry.name, chatNode = chatEntry.value
                        guard let chat = ChatType(rawValue: chatName) else {
                            unknownKey(chatEntry, key: "chat_overrides.\(chatName)",
                                       expected: ChatType.allCases.map(\.rawValue)); continue
                        }
                        guard let entries = mapping(chatNode, key: "chat_overrides.\(chatName)") else { continue }
                        for entry in entries {
                            let name = entry.name, node = entry.value
                            let prefix = "chat_overrides.\(chatName)"
                            guard let kind = kind(entry, prefix: prefix),
                                  let window = window(node, key: "\(prefix).\(name)") else { continue }
                            overrides[chat, default: [:]][kind] = window
                            windowNodes[kind] = windowNodes[kind] ?? node
                        }
                    }
                case "safety_margin":
                    guard let duration = duration(value, key: key) else { continue }
                    if duration.seconds < 0 {
                        report(value, key: key, "must not be negative")
                    } else {
                        margin = duration
                        marginNode = value
                    }
                default:
                    unknownKey(entry, key: key, expected: Self.topLevelKeys)
                }
            }
        }

        let channels = channelsNode.map { self.channels($0, sharedPath: webhookPath) } ?? [.implicitDefault(webhookPath: webhookPath)]
        let relay = relayNode.map { self.relay($0, webhookPaths: [webhookPath] + channels.map(\.webhookPath), channels: channels.map(\.name)) } ?? []
        var policy = RetentionPolicy(windows: windows, overrides: overrides, safetyMargin: margin)
        for channel in channels where !channel.windows.isEmpty { policy.channelWindows[channel.name] = channel.windows }
        // The margin must leave time: an item may not be at risk the moment it arrives.
        let channelRows = channels.flatMap { channel in
            channel.windows.sorted { $0.key.rawValue < $1.key.rawValue }.map { (kind: $0.key, window: $0.value, channel: channel.name) }
        }
        let channelsTooShort = channelRows.filter { $0.window.seconds > 0 && $0.window <= margin }
            .map { (window: $0.window, name: "\($0.kind.rawValue) of channel \($0.channel)") }
        let tooShort = policy.effectiveRows.filter { $0.window.seconds > 0 && $0.window <= margin }
            .map { (window: $0.window, name: $0.overridden ? "\($0.kind.rawValue) in \($0.chatType.rawValue) chats" : $0.kind.rawValue) }
            + channelsTooShort
        if let first = tooShort.first, let marginNode {
            let names = tooShort.map(\.name)
            var seen = Set<String>()
            let unique = names.filter { seen.insert($0).inserted }
            report(marginNode, key: "safety_margin",
                   "\(margin) is not shorter than the \(first.window) window for \(unique.joined(separator: ", "))")
        } else if let first = channelsTooShort.first, let channelsNode {
            report(channelsNode, key: "channels", "the \(first.window) window for \(first.name) is not longer than the safety margin (\(margin))")
        }
        let keep = self.keep(keepNode, unsent: unsentNode, policy: policy, channels: channels, channelsNode: channelsNode)
        guard issues.isEmpty else { return nil }
        var config = TalkVaultConfig(source: source, timeZoneIdentifier: timeZone, policy: policy, dataDir: dataDir,
                               database: paths["database"]!, archiveDir: paths["archive_dir"]!,
                               exportDir: paths["export_dir"]!, webhookPath: webhookPath, maxBodyBytes: maxBodyBytes,
                               profileRefresh: profileRefresh, apiBaseURL: urls["api_base_url"]!,
                               dataAPIBaseURL: urls["data_api_base_url"]!, archive: archive, sweep: sweep, readMode: readMode)
        config.idleTimeout = idleTimeout
        config.readTimeout = readTimeout
        config.relay = relay
        config.console = console
        config.channels = channels
        config.listsChannels = channelsNode != nil
        config.keep = keep.rules
        config.warnings = keep.warnings
        return config
    }

    // MARK: - Node helpers

    /// One key and its value, with the key's node for positioning errors at the key.
    struct Entry {
        let name: String
        let keyNode: Node
        let value: Node
    }

    /// The entries of a mapping node; reports keys that are not plain names.
    mutating func mapping(_ node: Node, key: String) -> [Entry]? {
        if isNull(node) { return [] }
        guard let map = node.mapping else {
            report(node, key: key, "expected a mapping of keys to values")
            return nil
        }
        // Duplicate keys never get here: Yams rejects them while composing.
        var result: [Entry] = []
        for (k, v) in map {
            guard let name = k.scalar?.string else {
                report(k, key: key, "keys must be plain names")
                continue
            }
            result.append(Entry(name: name, keyNode: k, value: v))
        }
        return result
    }

    mutating func string(_ node: Node, key: String) -> String? {
        guard let scalar = node.scalar, !isNull(node) else {
            report(node, key: key, isNull(node) ? "needs a value" : "expected a single value")
            return nil
        }
        return scalar.string
    }

    /// The longest duration any key takes: arithmetic on times (milliseconds, nanoseconds)
    /// stays far from overflowing with it.
    static let longestDuration = RetentionDuration.days(365 * 100)

    mutating func duration(_ node: Node, key: String) -> RetentionDuration? {
        guard let text = string(node, key: key) else { return nil }
        do {
            let value = try RetentionDuration(parsing: text)
            guard value.seconds <= Self.longestDuration.seconds else {
                report(node, key: key, "must be at most 100y (got '\(ConfigIssue.clip(text))')")
                return nil
            }
            return value
        } catch {
            report(node, key: key, "bad duration '\(ConfigIssue.clip(text))': \(error) (write it like 1y, 14d, 36h or 90m)")
            return nil
        }
    }

    mutating func window(_ node: Node, key: String) -> RetentionDuration? {
        guard let value = duration(node, key: key) else { return nil }
        guard value.seconds > 0 else {
            report(node, key: key, "a window must be longer than zero (got \(value))")
            return nil
        }
        return value
    }

    mutating func kind(_ entry: Entry, prefix: String) -> MessageKind? {
        guard let kind = MessageKind(rawValue: entry.name) else {
            unknownKey(entry, key: "\(prefix).\(entry.name)", expected: MessageKind.allCases.map(\.rawValue))
            return nil
        }
        return kind
    }

    func isNull(_ node: Node) -> Bool {
        // The resolved tag: a plain `~`, `null` or nothing is null; a quoted '' is a string.
        node.scalar != nil && node.tag.description == Tag.Name.null.rawValue
    }

    mutating func unknownKey(_ entry: Entry, key: String, expected: [String]) {
        report(entry.keyNode, key: key, "unknown key (expected one of: \(expected.joined(separator: ", ")))")
    }

    mutating func report(_ node: Node, key: String, _ message: String) {
        guard issues.count < Self.maxIssues else { unlisted += 1; return }
        let mark = node.mark
        issues.append(ConfigIssue(file: file, line: mark?.line ?? 0, column: mark?.column ?? 0, key: key, message: message))
    }

    /// Characters a webhook path may hold besides `/`: RFC 3986's unreserved characters and
    /// sub-delimiters, without `*` (`:`, `*`, `{` and `}` are the router's own syntax, and
    /// anything else would reach the server percent-encoded).
    static let webhookPathCharacters = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()+,;=@".unicodeScalars)

    /// The path as the router matches it: empty segments (`//`, a trailing `/`) do not count, so
    /// `/webhook/` is `/webhook`. Paths are compared, and served, in this form.
    static func routedPath(_ path: String) -> String {
        "/" + path.split(separator: "/").joined(separator: "/")
    }

    /// Why `path` cannot be `capture.webhook_path`, or nil. It must be a plain path of its own:
    /// not one of the server's routes or under one, and not a router pattern.
    static func webhookPathProblem(_ path: String) -> String? {
        guard path.hasPrefix("/") else { return "must be a URL path starting with / (got '\(ConfigIssue.clip(path))')" }
        guard path.unicodeScalars.allSatisfy({ $0 == "/" || webhookPathCharacters.contains($0) }) else {
            return "must hold only letters, digits, / and - . _ ~ ! $ & ' ( ) + , ; = @ (got '\(ConfigIssue.clip(path))')"
        }
        let segments = path.split(separator: "/")
        if segments.contains(where: { $0 == "." || $0 == ".." }) { return "must not hold . or .. segments" }
        for route in TalkVaultConfig.serverRoutes {
            let reserved = route.split(separator: "/")
            if segments.count >= reserved.count, zip(segments, reserved).allSatisfy({ $0.lowercased() == $1.lowercased() }) {
                return "collides with the server's own \(route) (choose another path, such as /webhook)"
            }
        }
        return nil
    }

    static func relativePathProblem(_ path: String) -> String? {
        if path.isEmpty { return "must not be empty" }
        if path.hasPrefix("/") { return "must be relative to the data dir, not absolute" }
        if path.split(separator: "/").contains("..") { return "must stay inside the data dir (no '..')" }
        if path.utf8.contains(0) { return "must not contain NUL" }
        return nil
    }
}
