import Yams

extension Validator {
    static let consoleKeys = ["trusted_header", "behind_proxy", "session_idle", "session_max"]

    /// `console:`: each key checked where it stands.
    mutating func consoleSettings(_ node: Node) {
        guard let entries = mapping(node, key: "console") else { return }
        var sessionNode: (Node, String)?
        for entry in entries {
            let path = "console.\(entry.name)"
            switch entry.name {
            case "trusted_header":
                guard let text = string(entry.value, key: path) else { continue }
                // A plain HTTP field name (letters, digits, - and _), and not one a browser or the
                // proxy sets for itself.
                let token = !text.isEmpty && text.utf8.count <= 64 && text.utf8.allSatisfy { byte in
                    (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == 0x2D || byte == 0x5F
                }
                let reserved = ["cookie", "host", "authorization", "x-forwarded-for", "x-forwarded-proto", "content-type", "content-length"]
                if !token || reserved.contains(text.lowercased()) {
                    report(entry.value, key: path, "must be an HTTP header name your SSO proxy sets, like X-Forwarded-User (got '\(ConfigIssue.clip(text))')")
                } else {
                    console.trustedHeader = text
                }
            case "behind_proxy":
                guard let text = string(entry.value, key: path) else { continue }
                switch text {
                case "true": console.behindProxy = true
                case "false": console.behindProxy = false
                default: report(entry.value, key: path, "must be true or false (got '\(ConfigIssue.clip(text))')")
                }
            case "session_idle", "session_max":
                guard let duration = duration(entry.value, key: path) else { continue }
                guard duration.seconds >= 60, duration.seconds <= 30 * 86_400 else {
                    report(entry.value, key: path, "must be from 1m to 30d"); continue
                }
                if entry.name == "session_idle" { console.sessionIdle = duration } else { console.sessionMax = duration }
                sessionNode = (entry.value, path)
            default:
                unknownKey(entry, key: path, expected: Self.consoleKeys)
            }
        }
        if let (node, path) = sessionNode, console.sessionIdle > console.sessionMax {
            report(node, key: path, "session_idle (\(console.sessionIdle)) must not be longer than session_max (\(console.sessionMax))")
        }
    }
}
