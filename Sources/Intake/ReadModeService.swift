import LINEClient
import Logging
import ServiceLifecycle
import TalkVaultDomain

/// Learns, in the background, whether LINE counts messages as read on arrival (its bot's
/// `markAsReadMode`), and sets capture's auto-read flag: never on the request path. Asks with
/// backoff (1 s doubling, six tries), and ends at once on graceful shutdown.
public struct ReadModeService: Service, CustomStringConvertible {
    let botInfo: BotInfoClient
    let flag: AutoReadFlag
    let logger: Logger

    public init(botInfo: BotInfoClient, flag: AutoReadFlag, logger: Logger) {
        self.botInfo = botInfo
        self.flag = flag
        self.logger = logger
    }

    /// Sets the flag where the config decides; with `line`, a service that asks LINE.
    public static func resolve(_ mode: ReadMode, botInfo: BotInfoClient?, flag: AutoReadFlag, logger: Logger) -> ReadModeService? {
        switch mode {
        case .auto: flag.value = true
        case .manual: flag.value = false
        case .line: return botInfo.map { ReadModeService(botInfo: $0, flag: flag, logger: logger) }
        }
        return nil
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
            if let mode = await cancelWhenGracefulShutdown({ await botInfo.markAsReadMode() }) {
                flag.value = mode == "auto"
                logger.notice("LINE markAsReadMode: \(mode)")
                return
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1 << attempt)) }
        }
        if !Task.isShuttingDownGracefully {
            logger.warning("could not read /v2/bot/info; messages count as unread until marked")
        }
    }

    /// What ServiceLifecycle logs: no client (it holds the access token).
    public var description: String { "ReadModeService" }
}
