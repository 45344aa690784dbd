import Accounts
import AuditTrail
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Mustache
import NIOCore
import TalkVaultDomain

/// `talkvault console`: the archive in a browser. Its own listener (loopback by default), its
/// own ledger connection, sessions in memory. It changes nothing but read marks, holds and tags,
/// and records every page that shows content, and every download, in the audit trail.
public struct Console: Sendable {
    let settings: ConsoleSettings
    let data: ConsoleData
    let status: StatusCache
    let users: ConsoleUsers
    let sessions: SessionStore
    let limiter: SignInLimiter
    let audit: ConsoleAudit
    let templates: MustacheLibrary
    let clock: any WallClock
    let logger: Logger
    /// Keys the per-user CSRF tokens of trusted-header mode; new at every start.
    let formKey = SymmetricKey(size: .bits256)

    /// Opens the ledger and reads the templates; starts nothing.
    public init(settings: ConsoleSettings, clock: any WallClock, logger: Logger) throws {
        if settings.trustedHeader != nil && !ConsoleSettings.isLoopback(settings.host) {
            throw ConsoleError.trustedHeaderNeedsLoopback(host: settings.host)
        }
        self.settings = settings
        data = try ConsoleData(settings: settings)
        status = StatusCache(settings: settings)
        users = ConsoleUsers(dataDir: settings.dataDir)
        sessions = SessionStore(clock: clock, idle: settings.sessionIdle, lifetime: settings.sessionLifetime)
        limiter = SignInLimiter(clock: clock, window: settings.signInWindow, perUser: settings.signInFailuresPerUser,
                                perAddress: settings.signInFailuresPerAddress)
        audit = ConsoleAudit(log: AuditLog(dataDir: settings.dataDir), clock: clock)
        templates = try Templates.library()
        self.clock = clock
        self.logger = logger
    }

    /// The routes, for the application and for tests.
    public func router() -> Router<ConsoleContext> {
        let router = Router(context: ConsoleContext.self)
        router.add(middleware: SafetyHeaders())
        router.get("/assets/console.css") { _, _ in Assets.stylesheet() }
        router.get("/healthz") { _, _ in Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ok\n"))) }
        if let page = settings.benchmarkStaticPage {
            router.get("/bench/static") { _, _ in
                var response = Response(status: .ok, body: .init(byteBuffer: ByteBuffer(bytes: page)))
                response.headers[.contentType] = "text/html; charset=utf-8"
                return response
            }
        }
        addSignIn(to: router)
        addPages(to: router)
        addDownloads(to: router)
        addActions(to: router)
        return router
    }

    /// The application on `settings.host` and `settings.port`; `onServerRunning` learns the port (0 picks one).
    public func application(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        -> some ApplicationProtocol {
        Application(router: router(),
                    configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: nil),
                    onServerRunning: { [status, clock] channel in
                        await status.warm(now: clock.now())
                        await onServerRunning(channel.localAddress?.port ?? 0)
                    },
                    logger: logger)
    }
}

/// The console's own failures, named for the operator.
public enum ConsoleError: Error, Equatable, CustomStringConvertible {
    case trustedHeaderNeedsLoopback(host: String)

    public var description: String {
        switch self {
        case .trustedHeaderNeedsLoopback(let host):
            return "console.trusted_header is refused on \(host): it is believed only from a proxy on the same machine, so the console must listen on loopback (--host 127.0.0.1)"
        }
    }
}
