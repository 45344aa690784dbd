import Foundation
import Yams

extension Validator {
    static let relayKeys = ["name", "url", "channels", "timeout", "max_age", "secret_header"]
    /// The channels a config names. Until `channels:` exists there is one, `default`.
        /// The port `serve` listens on by default, and in the shipped systemd unit.
    static let servePort = 8080

    /// `relay:`: a list of targets, each validated strictly; nil entries are left out.
    mutating func relay(_ node: Node, webhookPaths: [String], channels knownChannels: [String]) -> [RelayTarget] {
        if isNull(node) { return [] }
        guard let items = node.sequence else {
            report(node, key: "relay", "expected a list of targets (each with name and url)")
            return []
        }
        var targets: [RelayTarget] = []
        var names: [String: Node] = [:]
        for (index, item) in items.enumerated() {
            let key = "relay[\(index)]"
            guard let entries = mapping(item, key: key) else { continue }
            var target = RelayTarget(name: "", url: "")
            var nameNode: Node?, urlNode: Node?, ok = true
            for entry in entries {
                let path = "\(key).\(entry.name)"
                switch entry.name {
                case "name":
                    guard let text = string(entry.value, key: path) else { ok = false; continue }
                    if let problem = Self.slugProblem(text) { report(entry.value, key: path, problem); ok = false }
                    target.name = text
                    nameNode = entry.value
                case "url":
                    guard let text = string(entry.value, key: path) else { ok = false; continue }
                    if let problem = Self.relayURLProblem(text, webhookPaths: webhookPaths) { report(entry.value, key: path, problem); ok = false }
                    target.url = text
                    urlNode = entry.value
                case "channels":
                    guard let list = entry.value.sequence else {
                        report(entry.value, key: path, "expected a list of channel names, such as [shop-a]"); ok = false; continue
                    }
                    var channels: [String] = []
                    for channelNode in list {
                        guard let channel = string(channelNode, key: path) else { ok = false; continue }
                        if !knownChannels.contains(channel) {
                            report(channelNode, key: path, "unknown channel '\(ConfigIssue.clip(channel))' (known: \(knownChannels.joined(separator: ", ")))")
                            ok = false
                        }
                        channels.append(channel)
                    }
                    if channels.isEmpty { report(entry.value, key: path, "must name at least one channel (leave it out for all)"); ok = false }
                    target.channels = channels
                case "timeout", "max_age":
                    guard let value = duration(entry.value, key: path) else { ok = false; continue }
                    let (low, high) = entry.name == "timeout" ? (Int64(1), Int64(300)) : (Int64(60), Int64(30 * 86_400))
                    guard value.seconds >= low, value.seconds <= high else {
                        report(entry.value, key: path, entry.name == "timeout" ? "must be from 1s to 5m" : "must be from 1m to 30d")
                        ok = false; continue
                    }
                    if entry.name == "timeout" { target.timeout = value } else { target.maxAge = value }
                case "secret_header":
                    guard let text = string(entry.value, key: path) else { ok = false; continue }
                    if let problem = Self.headerNameProblem(text) { report(entry.value, key: path, problem); ok = false }
                    target.secretHeader = text
                default:
                    unknownKey(entry, key: path, expected: Self.relayKeys)
                    ok = false
                }
            }
            if nameNode == nil { report(item, key: key, "needs a name (a short slug, such as lstep)"); ok = false }
            if urlNode == nil { report(item, key: key, "needs a url (where the tool took LINE's webhooks)"); ok = false }
            if let nameNode, !target.name.isEmpty {
                if let first = names[target.name] {
                    report(nameNode, key: "\(key).name", "'\(ConfigIssue.clip(target.name))' names another target too (line \(first.mark?.line ?? 0))")
                    ok = false
                } else {
                    names[target.name] = nameNode
                }
            }
            if ok { targets.append(target) }
        }
        return targets
    }

    /// Why `text` cannot be a target or channel name, or nil.
    static func slugProblem(_ text: String) -> String? {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-".unicodeScalars)
        guard !text.isEmpty, text.count <= 32, text.unicodeScalars.allSatisfy(allowed.contains),
              !text.hasPrefix("-"), !text.hasSuffix("-") else {
            return "must be 1 to 32 lower-case letters, digits and inner '-' (got '\(ConfigIssue.clip(text))')"
        }
        return nil
    }

    /// Why `text` cannot be a relay URL, or nil: http(s) with a host, no credentials in it
    /// (they belong in a credential: `secret_header`), and not TalkVault's own webhook.
    static func relayURLProblem(_ text: String, webhookPaths: [String]) -> String? {
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
              let host = url.host, !host.isEmpty else {
            return "must be an http(s) URL with a host (got '\(ConfigIssue.clip(text))')"
        }
        if url.user != nil || url.password != nil {
            return "must not hold credentials; give the target a secret_header and the credential relay-NAME instead"
        }
        if url.fragment != nil { return "must not have a #fragment" }
        let loopback = ["localhost", "127.0.0.1", "::1", "[::1]", "0.0.0.0"].contains(host.lowercased())
            || host.hasPrefix("127.") || host.lowercased() == ProcessInfo.processInfo.hostName.lowercased()
        let path = routedPath(url.path)
        // serve's port is a flag; 8080 is its default and the shipped unit's. Any other loop (a
        // public name, another port) ends at run time: the webhook refuses relayed bodies.
        let port = url.port ?? (scheme == "https" ? 443 : 80)
        if loopback && webhookPaths.contains(path) && port == Self.servePort {
            return "points back at TalkVault's own webhook (\(path) on this machine, port \(Self.servePort)): a body would be relayed to itself"
        }
        return nil
    }

    /// Why `text` cannot be an HTTP header name, or nil (RFC 9110 tokens; none TalkVault sets).
    static func headerNameProblem(_ text: String) -> String? {
        let token = Set("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".unicodeScalars)
        guard !text.isEmpty, text.count <= 64, text.unicodeScalars.allSatisfy(token.contains) else {
            return "must be an HTTP header name, such as X-Api-Key (got '\(ConfigIssue.clip(text))')"
        }
        let reserved = ["content-type", "content-length", "user-agent", "x-line-signature", "host", "transfer-encoding", "connection"]
        if reserved.contains(text.lowercased()) || text.lowercased().hasPrefix("x-talkvault-") {
            return "is a header the relay sets itself; choose another, such as X-Api-Key"
        }
        return nil
    }
}
