import Foundation
import LINEClient
import Ledger
import Store
import Logging
import ServiceLifecycle
import TalkVaultDomain

/// Fetches senders' display names from LINE's profile API in the background, never on the
/// request path. Names are cached in the ledger and refreshed after `refresh`; a failure is
/// retried with exponential backoff (1 min doubling to 6 h) and never stops the server.
public struct ProfileFetcher: Service, CustomStringConvertible {
    public struct Settings: Sendable {
        /// `https://api.line.me`, or the simulator.
        public var apiBaseURL: String
        public var accessToken: Secret
        /// Each channel's token, by name; `accessToken` serves the channels not listed.
        public var channelTokens: [String: Secret] = [:]
        public var refresh: RetentionDuration
        public var interval: Duration
        public var batch: Int

        public init(apiBaseURL: String, accessToken: String, refresh: RetentionDuration = .days(7),
                    interval: Duration = .seconds(30), batch: Int = 50) {
            self.apiBaseURL = apiBaseURL
            self.accessToken = Secret(accessToken)
            self.refresh = refresh
            self.interval = interval
            self.batch = batch
        }
    }

    let settings: Settings
    let ledgerPath: String
    let policy: RetentionPolicy
    let clock: any WallClock
    let logger: Logger
    let client: ProfileClient
    let channelClients: [String: ProfileClient]

    public init(settings: Settings, ledgerPath: String, policy: RetentionPolicy, clock: any WallClock, logger: Logger) {
        self.settings = settings
        self.ledgerPath = ledgerPath
        self.policy = policy
        self.clock = clock
        self.logger = logger
        client = ProfileClient(apiBaseURL: settings.apiBaseURL, accessToken: settings.accessToken)
        channelClients = settings.channelTokens.mapValues { ProfileClient(apiBaseURL: settings.apiBaseURL, accessToken: $0) }
    }

    public func run() async throws {
        let ledger: Ledger
        do {
            ledger = try Ledger(path: ledgerPath, policy: policy, access: .readWrite(create: false))
        } catch {
            logger.error("profile fetcher cannot open the ledger; display names will not be fetched", metadata: ["error": "\(error)"])
            try? await gracefulShutdown()
            return
        }
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            _ = await runOnce(ledger.profileStore)
            // Graceful shutdown ends the wait at once: systemd's stop timeout must never meet it.
            let interval = settings.interval
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    /// Fetches one batch of due profiles; returns how many names were stored.
    @discardableResult
    public func runOnce(_ store: any ProfileStore) async -> Int {
        let now = clock.now()
        guard let due = try? store.profilesDue(now: now, refresh: settings.refresh, limit: settings.batch), !due.isEmpty else {
            return 0
        }
        var stored = 0, failed = 0
        for ref in due {
            guard !Task.isShuttingDownGracefully else { break }
            // A request in flight is cancelled by a graceful shutdown; that is no failure of LINE's.
            let result = await cancelWhenGracefulShutdown { await fetch(ref) }
            if Task.isShuttingDownGracefully { break }
            switch result {
            case .success(let name):
                if (try? store.recordProfile(ref, displayName: name, now: now)) != nil { stored += 1 }
            case .failure:
                failed += 1
                let backoff = min(6 * 3_600, 60 << min(ref.failures, 12))
                try? store.recordProfileFailure(ref, retryAt: now.adding(RetentionDuration(seconds: Int64(backoff))))
            }
        }
        logger.info("profiles fetched", metadata: ["stored": "\(stored)", "failed": "\(failed)"])
        return stored
    }

    /// What ServiceLifecycle logs for this service: no settings (they hold the access token).
    public var description: String { "ProfileFetcher" }

    /// The display name, nil when LINE has no profile.
    func fetch(_ ref: ProfileRef) async -> Result<String?, ProfileClient.Failure> {
        // A user id is per provider; the chat's own channel is the one LINE answers for surely.
        await (channelClients[ref.channel] ?? client).displayName(userId: ref.userId, in: ref.chat)
    }
}
