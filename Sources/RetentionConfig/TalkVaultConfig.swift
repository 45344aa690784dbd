import Foundation
import TalkVaultDomain

/// The validated configuration.
public struct TalkVaultConfig: Sendable, Equatable {
    /// Where the config came from.
    public enum Source: Sendable, Equatable, CustomStringConvertible {
        case file(String)
        case embedded

        public var description: String {
            switch self {
            case .file(let path): return path
            case .embedded: return "built-in defaults"
            }
        }
    }

    public var source: Source
    /// IANA time zone identifier, e.g. `Asia/Tokyo`.
    public var timeZoneIdentifier: String
    public var policy: RetentionPolicy
    /// The data dir from the file, already made absolute.
    public var dataDir: String
    /// Paths relative to the data dir.
    public var database: String
    public var archiveDir: String
    public var exportDir: String
    /// `capture.webhook_path`: where `serve` accepts LINE's webhooks.
    public var webhookPath: String = "/webhook"
    /// The paths `serve` answers on its own, each with everything under it: the webhook path
    /// may be none of them. A route added to the server belongs here.
    public static let serverRoutes = ["/healthz", "/metrics", "/api"]
    /// `capture.max_body_bytes`: larger webhook bodies get 413.
    public var maxBodyBytes: Int = 1 << 20
    /// `capture.profile_refresh`: how long a display name is kept before it is fetched again.
    public var profileRefresh: RetentionDuration = .days(7)
    /// `capture.idle_timeout`: a connection with no request activity for this long is closed.
    public var idleTimeout = RetentionDuration(seconds: 60)
    /// `capture.read_timeout`: a body still arriving this long after its headers gets 408.
    public var readTimeout = RetentionDuration(seconds: 10)
    /// `line.api_base_url`: profiles, bot info, mark as read.
    public var apiBaseURL: String = "https://api.line.me"
    /// `line.data_api_base_url`: message content.
    public var dataAPIBaseURL: String = "https://api-data.line.me"

    /// `archive.*`: how segments are packed.
    public var archive = ArchiveSettings()

    /// How segments are packed.
    public struct ArchiveSettings: Sendable, Equatable {
        /// zlib level for text and other compressible entries.
        public var compressionLevel = 6
        /// Small entries and records share gzip members of about this many bytes.
        public var memberTargetBytes = 128 << 10
        /// A pack starts a new segment once one reaches this size.
        public var segmentMaxBytes: Int64 = 1 << 30

        public init() {}
    }

    /// `sweep.*`: how content is downloaded.
    public var sweep = SweepSettings()

    /// How content is downloaded.
    public struct SweepSettings: Sendable, Equatable {
        public var concurrency = 4
        /// Requests per second to LINE, on average (LINE allows 2,000).
        public var rateLimit = 50.0
        public var burst = 10.0
        /// Tries per item per run for 5xx, timeouts and cut bodies.
        public var maxAttempts = 4
        /// How long to poll a video or audio that is still transcoding before leaving it to the next run.
        public var transcodeWait = RetentionDuration(seconds: 30)
        public var requestTimeout = RetentionDuration(seconds: 120)
        /// Free space kept beyond what the staged downloads need to be packed; downloads stop below it.
        public var diskReserveBytes: Int64 = 256 << 20

        public init() {}
    }

    /// `channels:`: the Official Accounts, in the file's order. Without the key, one channel
    /// named `default` on `capture.webhook_path` with today's credential names.
    public var channels: [ChannelConfig] = [.implicitDefault(webhookPath: "/webhook")]

    /// True when the file lists its channels: `capture.webhook_path` then routes by destination.
    public var listsChannels = false

    /// `console:`: how `talkvault console` signs people in.
    public var console = ConsoleSettings()

    /// `console:`: sessions, the proxy in front, and the SSO header.
    public struct ConsoleSettings: Sendable, Equatable {
        /// `trusted_header`: the header an SSO proxy sets to the user's name; nil for the console's own sign-in.
        public var trustedHeader: String?
        /// `behind_proxy`: a proxy in front terminates TLS and sets X-Forwarded-Proto and X-Forwarded-For.
        public var behindProxy = false
        /// `session_idle` and `session_max`: a session ends after this long unused, and after the other in any case.
        public var sessionIdle = RetentionDuration(seconds: 30 * 60)
        public var sessionMax = RetentionDuration.hours(12)

        public init() {}
    }

    /// `relay:`: the tools that receive every acknowledged webhook body after TalkVault.
    public var relay: [RelayTarget] = []

    /// `keep:` and `unsent:`: how long TalkVault itself keeps things. Forever by default.
    public var keep = KeepRules()

    /// Problems that do not stop the config from loading (a keep shorter than LINE's window),
    /// at `file:line:col`; the CLI prints them to standard error.
    public var warnings: [ConfigIssue] = []

    /// The bytes the config was read from (the file's, or the built-in text's): the audit
    /// trail records a change of them.
    public var sourceBytes = Data()

    /// `read_state`: where read state comes from for messages nobody marked.
    public var readMode = ReadMode.line

    /// The time zone (validated at load).
    public var timeZone: TimeZone { TimeZone(identifier: timeZoneIdentifier)! }

    /// Absolute locations of everything TalkVault writes, under one data dir.
    public struct Paths: Sendable, Equatable, Codable {
        public var dataDir: String
        public var database: String
        public var archiveDir: String
        public var exportDir: String

        enum CodingKeys: String, CodingKey {
            case dataDir = "data_dir", database, archiveDir = "archive_dir", exportDir = "export_dir"
        }
    }

    /// Resolves the paths against `dataDirOverride` (from `--data-dir` or the environment,
    /// relative to the working directory) or else the config's own `data_dir`.
    public func paths(dataDirOverride: String?, workingDirectory: String = FileManager.default.currentDirectoryPath) -> Paths {
        let root = dataDirOverride.map { Self.absolute($0, base: workingDirectory) } ?? dataDir
        func inside(_ relative: String) -> String { (root as NSString).appendingPathComponent(relative) }
        return Paths(dataDir: root, database: inside(database), archiveDir: inside(archiveDir), exportDir: inside(exportDir))
    }

    static func absolute(_ path: String, base: String) -> String {
        let joined = path.hasPrefix("/") ? path : (base as NSString).appendingPathComponent(path)
        return (joined as NSString).standardizingPath
    }
}
