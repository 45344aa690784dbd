import TalkVaultDomain

/// What the relay does with an answer: pure rules, tested on their own.
public enum RelayRules {
    public enum Verdict: Sendable, Equatable {
        /// The target has the body.
        case delivered
        /// The target will not take it, whatever it is sent again: kept as a dead letter.
        case refused(String)
        /// Worth another try, until `max_age`.
        case retry(String)
    }

    /// 2xx delivers; 408, 429, 5xx and no answer are retried; 3xx is retried (redirects are not
    /// followed: a moved target is the operator's to fix); any other 4xx is refused.
    public static func verdict(_ answer: RelayAnswer) -> Verdict {
        switch answer {
        case .failed(let reason): return .retry(reason)
        case .status(let code):
            switch code {
            case 200..<300: return .delivered
            case 408, 429: return .retry("HTTP \(code)")
            case 300..<400: return .retry("HTTP \(code) (redirects are not followed)")
            case 400..<500: return .refused("HTTP \(code)")
            default: return .retry("HTTP \(code)")
            }
        }
    }

    /// How long to wait before try `attempt + 1` (1 s doubling to 1 min, with jitter), never past
    /// the moment the body turns `maxAge` old. The cap is what a target back up may wait before
    /// its backlog starts to flow again.
    public static func wait(attempt: Int, jitter: Double, remainingMilliseconds: Int64) -> Int64 {
        min(Backoff.milliseconds(attempt: attempt - 1, baseMilliseconds: 1_000, capMilliseconds: 60_000, jitter: jitter),
            max(1, remainingMilliseconds))
    }

    /// The headers a relayed body goes out with: LINE's own (the body's signature is LINE's,
    /// since the bytes are the same), and two saying TalkVault relayed it and when LINE sent it.
    public static func headers(signature: String, receivedAt: Instant, secretHeader: (name: String, value: String)?) -> [(String, String)] {
        var headers = [("Content-Type", "application/json; charset=utf-8"), ("User-Agent", "LineBotWebhook/2.0"),
                       ("x-line-signature", signature), ("X-TalkVault-Relayed", "1"),
                       ("X-TalkVault-Received-At", receivedAt.description)]
        if let secretHeader { headers.append((secretHeader.name, secretHeader.value)) }
        return headers
    }
}
