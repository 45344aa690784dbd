import LINEClient
import Logging
import ServiceLifecycle
import TalkVaultDomain

/// Asks LINE about one channel's bot (`/v2/bot/info`) in the background, never on the request
/// path: whether it counts messages as read on arrival (its `markAsReadMode`, which sets
/// capture's auto-read flag for the channel when its read state is `line`) and its user id (the
/// `destination` of its webhooks). Asks with backoff (1 s doubling, six tries), and ends at once
/// on graceful shutdown.
public struct ReadModeService: Service, CustomStringConvertible {
    let botInfo: BotInfoClient
    let flag: AutoReadFlag
    let channel: String
    /// The read state comes from LINE; else only the user id is wanted.
    let readsMode: Bool
    let onUserId: @Sendable (String) -> Void
    let logger: Logger

    public init(botInfo: BotInfoClient, flag: AutoReadFlag, channel: String = ChannelName.implicit, readsMode: Bool = true,
                onUserId: @escaping @Sendable (String) -> Void = { _ in }, logger: Logger) {
        self.botInfo = botInfo
        self.flag = flag
        self.channel = channel
        self.readsMode = readsMode
        self.onUserId = onUserId
        self.logger = logger
    }

    /// Sets the flag where the config decides; a service that asks LINE when the mode is `line`,
    /// or when the bot's user id is wanted (`onUserId`).
    public static func resolve(_ mode: ReadMode, botInfo: BotInfoClient?, flag: AutoReadFlag, channel: String = ChannelName.implicit,
                               onUserId: (@Sendable (String) -> Void)? = nil, logger: Logger) -> ReadModeService? {
        switch mode {
        case .auto: flag.set(true, for: channel)
        case .manual: flag.set(false, for: channel)
        case .line: break
        }
        guard let botInfo, mode == .line || onUserId != nil else { return nil }
        return ReadModeService(botInfo: botInfo, flag: flag, channel: channel, readsMode: mode == .line,
                               onUserId: onUserId ?? { _ in }, logger: logger)
    }

    public func run() async throws {
        await ask()
        // Done either way: a service that returned would end the whole group, so this one
        // waits for the group's shutdown.
        try? await gracefulShutdown()
    }

    private func ask() async {
        let botInfo = botInfo
        for attempt in 0..<6 {
            guard !Task.isShuttingDownGracefully else { return }
            if let info = await cancelWhenGracefulShutdown({ await botInfo.info() }), !readsMode || info.markAsReadMode != nil {
                if readsMode, let mode = info.markAsReadMode {
                    flag.set(mode == "auto", for: channel)
                    logger.notice("LINE markAsReadMode: \(mode)", metadata: ["channel": "\(channel)"])
                }
                if let userId = info.userId { onUserId(userId) }
                return
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1 << attempt)) }
        }
        if !Task.isShuttingDownGracefully {
            logger.warning(readsMode ? "could not read /v2/bot/info; messages count as unread until marked"
                                     : "could not read /v2/bot/info; the channel's bot id is learned from its own webhook path",
                           metadata: ["channel": "\(channel)"])
        }
    }

    /// What ServiceLifecycle logs: no client (it holds the access token).
    public var description: String { "ReadModeService(\(channel))" }
}
