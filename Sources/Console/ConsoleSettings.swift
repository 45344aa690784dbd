import Export
import Foundation
import TalkVaultDomain

/// What the console needs; built from the config and the command line at the command's edge.
public struct ConsoleSettings: Sendable {
    public var host: String
    public var port: Int
    public var dataDir: String
    public var ledgerPath: String
    public var archiveDir: String
    public var exportDir: String
    public var policy: RetentionPolicy
    public var timeZone: TimeZone
    /// The channels known to the config, by name (the dashboard shows each, even an idle one).
    public var channels: [String]
    /// How each channel's weekly export is made when a manager asks for the last week's.
    public var exportSettings: [String: ExportSettings] = [:]
    /// Relay targets configured (`relay:`); the dashboard shows their lag when there are any.
    public var relayTargets: [String] = []
    /// Signed-in sessions end after this long without a request, and after `sessionLifetime` in any case.
    public var sessionIdle: RetentionDuration = RetentionDuration(seconds: 30 * 60)
    public var sessionLifetime: RetentionDuration = .hours(12)
    /// A proxy in front terminates TLS and says so (`X-Forwarded-Proto: https`, `X-Forwarded-For`):
    /// cookies become `Secure` and the address rate limits count is the forwarded one.
    public var behindProxy = false
    /// The header an SSO proxy in front sets to the signed-in user's name; nil (the default)
    /// for the console's own sign-in. Only on a loopback listener: anyone who can reach the
    /// port could otherwise send the header themselves.
    public var trustedHeader: String?
    /// Failed sign-ins allowed per user name, and per address, within `signInWindow`.
    public var signInFailuresPerUser = 5
    public var signInFailuresPerAddress = 20
    public var signInWindow: RetentionDuration = RetentionDuration(seconds: 15 * 60)
    /// Rows per page of conversations and lists.
    public var pageSize = 50
    /// A page served as it is at `/bench/static`, for `scripts/bench-console`'s baseline: the
    /// same server sending the same number of bytes with no work behind them. Nil in production.
    public var benchmarkStaticPage: [UInt8]?

    public init(host: String = "127.0.0.1", port: Int = 8788, dataDir: String, ledgerPath: String, archiveDir: String,
                exportDir: String, policy: RetentionPolicy, timeZone: TimeZone, channels: [String]) {
        self.host = host
        self.port = port
        self.dataDir = dataDir
        self.ledgerPath = ledgerPath
        self.archiveDir = archiveDir
        self.exportDir = exportDir
        self.policy = policy
        self.timeZone = timeZone
        self.channels = channels
    }

    /// Whether `host` is a loopback address: the only place a trusted header may be believed.
    public static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        // An IPv4 address in 127/8, not a name that starts like one (127.0.0.1.example.com).
        var address = in_addr()
        return inet_pton(AF_INET, host, &address) == 1 && UInt32(bigEndian: address.s_addr) >> 24 == 127
    }
}
