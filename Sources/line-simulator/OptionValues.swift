import ArgumentParser

// Option values the parser reads and checks itself: `--help` lists the valid ones, and any
// other value is a usage error (64) that lists them.

/// `/v2/bot/info`'s `markAsReadMode`.
enum MarkAsReadMode: String, ExpressibleByArgument, CaseIterable {
    case auto, manual
}

/// `/v2/bot/info`'s `chatMode`.
enum ChatMode: String, ExpressibleByArgument, CaseIterable {
    case chat, bot
}

/// The status content past its window answers.
enum ExpiredStatus: Int, ExpressibleByArgument, CaseIterable {
    case notFound = 404
    case gone = 410
}
