import Intake
import LINEClient
import AuditTrail
import Foundation
import HTTPTypes
import Hummingbird
import InboxLog
import LINE
import NIOCore
import Ledger
import Store
import ReadReceipts
import Relay
import Logging
import ServiceLifecycle
import TalkVaultDomain

/// What the receiver needs; built from the config and the environment at the command's edge.
public struct ServerSettings: Sendable {
    public var host: String
    public var port: Int
    /// Bodies over this size get 413; LINE's are small.
    public var maxBodyBytes: Int
    /// A connection with no request activity for this long is closed: an idle keep-alive, headers
    /// that never end, a body that stops arriving. Without it anyone who can reach the port holds
    /// a file descriptor for as long as they like.
    public var idleTimeout: Duration = .seconds(60)
    /// A request whose body is still arriving this long after its headers gets 408 and its
    /// connection closed: a body sent a byte at a time cannot hold a connection forever.
    public var readTimeout: Duration = .seconds(10)
    /// The channels, each on its own path with its own secret; the first is the one the
    /// single-channel properties (`webhookPath`, `channelSecret`, …) stand for.
    public var channels: [WebhookChannel]
    /// A path for every channel, routed by each body's `destination` (`capture.webhook_path`
    /// once `channels:` lists the accounts); nil for none.
    public var sharedWebhookPath: String?
    public var ledgerPath: String
    public var policy: RetentionPolicy
    public var timeZone: TimeZone
    /// Display-name fetching; nil when there is no access token.
    public var profiles: ProfileFetcher.Settings?
    /// The bearer token of `POST /api/v1/mark-read`; the endpoint is off without one.
    public var apiToken: Secret?
    /// Where the mark-read endpoint records its calls (the data dir's audit trail); nil for none.
    public var audit: AuditLog?
    /// Commit and apply limits of the ledger writer.
    public var writer = GroupCommitter.Settings()
    /// Segment sizes of the inbox log.
    public var inboxLog = InboxLogWriter.Settings()
    /// How long `/metrics` reuses the ledger's status gauges (messages, at risk, lost) before
    /// counting again; the counters and the inbox gauge are always current.
    public var statusMaxAgeSeconds: Double = 10
    /// The least time between two background WAL checkpoints (see `WALCheckpointer`); nil
    /// leaves checkpoints to the writer.
    public var checkpointPauseMilliseconds: Int? = 100
    /// Where every acknowledged body is relayed (`relay:`); none by default.
    public var relay: [RelayDestination] = []
    /// How relayed bodies are posted; nil for HTTP.
    public var relayTransport: (any RelayTransport)?
    /// The channel of before `channels:`, when they are listed without it.
    public var history: ChannelHistory?

    public init(host: String = "127.0.0.1", port: Int = 8080, webhookPath: String = "/webhook", maxBodyBytes: Int = 1 << 20,
                channelSecret: String, ledgerPath: String, policy: RetentionPolicy, timeZone: TimeZone,
                profiles: ProfileFetcher.Settings? = nil) {
        self.host = host
        self.port = port
        channels = [WebhookChannel(name: ChannelName.implicit, webhookPath: webhookPath, secret: channelSecret)]
        self.maxBodyBytes = maxBodyBytes
        self.ledgerPath = ledgerPath
        self.policy = policy
        self.timeZone = timeZone
        self.profiles = profiles
    }
}

extension ServerSettings {
    /// The first channel's path.
    public var webhookPath: String {
        get { channels[0].webhookPath }
        set { channels[0].webhookPath = newValue }
    }
    /// The first channel's secret.
    public var channelSecret: Secret {
        get { channels[0].secret }
        set { channels[0].secret = newValue }
    }
    /// The first channel's markAsRead client.
    public var markAsRead: MarkAsReadClient? {
        get { channels[0].markAsRead }
        set { channels[0].markAsRead = newValue }
    }
    /// The first channel's read mode.
    public var readMode: ReadMode {
        get { channels[0].readMode }
        set { channels[0].readMode = newValue }
    }
    /// Each channel's markAsRead client. Without `channels:` the one serves every message, as
    /// before channels; with them, each channel only its own (and the history's, its messages).
    public var markAsReadClients: PerChannel<MarkAsReadClient> {
        if channels.count == 1, channels[0].name == ChannelName.implicit {
            return channels[0].markAsRead.map { PerChannel($0) } ?? PerChannel([:])
        }
        let history = history.flatMap { history in history.markAsRead.map { (history.name, $0) } }
        return PerChannel(Dictionary((channels.compactMap { channel in channel.markAsRead.map { (channel.name, $0) } }) + [history].compactMap { $0 }) { first, _ in first })
    }

    /// The secret each channel's bodies are signed with, for the relay.
    var relaySignatures: [String: WebhookSignature] {
        let history = history.flatMap { history in history.secret.map { (history.name, WebhookSignature(channelSecret: $0)) } }
        return Dictionary(channels.map { ($0.name, WebhookSignature(channelSecret: $0.secret.revealed)) } + [history].compactMap { $0 }) { first, _ in first }
    }
    /// The first channel's bot info client.
    public var botInfo: BotInfoClient? {
        get { channels[0].botInfo }
        set { channels[0].botInfo = newValue }
    }
}

/// The webhook receiver: `buildApplication` is shared by `talkvault serve` and its tests.
public enum WebhookServer {
    /// Opens the ledger (writer and reader), starts the group committer, and builds the app.
    /// `onRunning` receives the bound port once the server accepts connections.
    public static func buildApplication(settings: ServerSettings, clock: any WallClock, logger: Logger,
                                        metrics: ServerMetrics = ServerMetrics(),
                                        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) throws(LedgerError) -> some ApplicationProtocol {
        // With the background checkpointer doing the copying, the writer's own checkpoint is only
        // the backstop that lets the WAL start over; a small WAL is then rewritten in place.
        let ledger = try Ledger(path: settings.ledgerPath, policy: settings.policy, access: .readWrite(create: true),
                                walAutocheckpointPages: settings.checkpointPauseMilliseconds == nil ? nil : 1_000)
        try ledger.migrate()
        let reader = try LedgerReader(path: settings.ledgerPath, policy: settings.policy, timeZone: settings.timeZone)
        let capturer = Capturer(ledger: ledger, clock: clock)
        // The log reuses segments below the applied position: it must survive a power loss first
        // (applies commit without an fsync of their own).
        try ledger.inboxStore.makeInboxPositionDurable()
        let applied = try ledger.inboxStore.inboxPosition()
        // The relay's targets hold their place in the log before the writer may recycle any of it.
        let hold = InboxHold()
        let relay = settings.relay.isEmpty ? nil : RelayService(
            destinations: settings.relay, ledgerPath: settings.ledgerPath, policy: settings.policy,
            directory: InboxApplier(ledger).directory, hold: hold,
            signatures: settings.relaySignatures,
            transport: settings.relayTransport, clock: clock, waiting: SystemWaitingClock(),
            metricsFactory: metrics.metricsFactory, logger: logger)
        try relay?.prepare()
        let log: InboxLogWriter
        do throws(InboxLogError) {
            log = try InboxLogWriter(directory: InboxApplier(ledger).directory, applied: applied, settings: settings.inboxLog, hold: hold)
        } catch {
            throw LedgerError(error)
        }
        let destinations = DestinationDirectory(configured: settings.channels) { await reader.channelDestinations() }
        // Per channel: its read mode, and on the shared path its bot id when the config does not give it.
        var botInfoServices: [ReadModeService] = []
        for channel in settings.channels {
            let name = channel.name
            let learn: (@Sendable (String) -> Void)? = settings.sharedWebhookPath != nil && channel.destination == nil
                ? { @Sendable id in destinations.learn(id, for: name) } : nil
            if let service = ReadModeService.resolve(channel.readMode, botInfo: channel.botInfo, flag: capturer.autoRead, channel: name,
                                                     onUserId: learn, logger: logger) {
                botInfoServices.append(service)
            }
        }
        let checkpointer = try settings.checkpointPauseMilliseconds.map { (pause) throws(LedgerError) in
            try WALCheckpointer(path: settings.ledgerPath, pauseMilliseconds: pause) { failure in
                logger.warning("background WAL checkpoint failed; the writer's own checkpoints go on", metadata: ["error": "\(failure)"])
            }
        }
        let committer = GroupCommitter(capturer: capturer, log: log, settings: settings.writer, checkpointer: checkpointer, onCommit: { commit in
            metrics.record(commit)
            // Built only when logged: this runs after every commit.
            func meta() -> Logger.Metadata {
                ["bodies": "\(commit.bodies)", "bytes": "\(commit.bytes)", "ms": "\(Int(commit.seconds * 1000))"]
            }
            if let failure = commit.failed {
                logger.error("webhook bodies not stored; LINE will redeliver", metadata: meta().merging(["error": "\(failure)"]) { $1 })
            } else {
                logger.debug("webhook bodies committed", metadata: meta())
            }
        }, onApply: { apply in
            metrics.record(apply, now: clock.now())
            if let failure = apply.trimFailed {
                logger.warning("applied inbox segments not deleted; they stay on disk until a later apply", metadata: ["error": "\(failure)"])
            }
            let counts = apply.applied.counts
            var meta: Logger.Metadata = [
                "bodies": "\(apply.applied.bodies)", "events": "\(counts.eventsRead)", "new_events": "\(counts.newEvents)",
                "duplicates": "\(counts.duplicateEvents)", "new_messages": "\(counts.newMessages)",
                "backlog": "\(apply.backlog)", "ms": "\(Int(apply.seconds * 1000))",
            ]
            for damage in apply.applied.damage {
                logger.error("the webhook inbox log is damaged: acknowledged bodies are lost", metadata: ["damage": "\(damage)"])
            }
            if let failure = apply.failed {
                meta["error"] = "\(failure)"
                logger.error("webhook events not applied; they stay in the inbox", metadata: meta)
            } else if apply.applied.rejected > 0 {
                meta["rejected"] = "\(apply.applied.rejected)"
                logger.error("webhook bodies refused when applied; kept in inbox_rejected", metadata: meta)
            } else if apply.applied.bodies > 0 {
                logger.info("webhook events applied", metadata: meta)
            }
        })
        let markAsRead = settings.markAsReadClients
        let receipts = markAsRead.isEmpty ? nil :
            ReceiptSender(ledgerPath: settings.ledgerPath, policy: settings.policy, clients: markAsRead, clock: clock, logger: logger)
        let router = buildRouter(settings: settings, committer: committer, reader: reader, metrics: metrics, clock: clock, receipts: receipts,
                                 destinations: destinations)
        let host = settings.host
        // Stopped in reverse order: the committer's last applies before the checkpointer.
        var services: [any Service] = checkpointer.map { [$0, committer] } ?? [committer]
        if let receipts { services.append(receipts) }
        if let relay { services.append(relay) }
        services.append(contentsOf: botInfoServices.map { $0 as any Service })
        if let profiles = settings.profiles {
            services.append(ProfileFetcher(settings: profiles, ledgerPath: settings.ledgerPath, policy: settings.policy,
                                           clock: clock, logger: logger))
        } else {
            logger.warning("no access token (\(settings.channels.count == 1 ? ChannelName.tokenHint(settings.channels[0].name) : "TALKVAULT_ACCESS_TOKEN_<NAME> or credential access-token-<name>")): display names will not be fetched")
        }
        let idle = settings.idleTimeout.components
        return Application(
            router: router,
            server: .http1(configuration: .init(idleTimeout: .nanoseconds(idle.seconds * 1_000_000_000 + idle.attoseconds / 1_000_000_000))),
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "talkvault"),
            services: services,
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? settings.port
                logger.notice("listening on http://\(host):\(port)")
                await onRunning(port)
            },
            logger: logger)
    }

    static func buildRouter(settings: ServerSettings, committer: GroupCommitter, reader: LedgerReader, metrics: ServerMetrics,
                            clock: any WallClock, receipts: ReceiptSender?, destinations: DestinationDirectory) -> Router<ConnectionContext> {
        let router = Router(context: ConnectionContext.self)
        let signatures = Dictionary(settings.channels.map { ($0.name, WebhookSignature(channelSecret: $0.secret.revealed)) }) { first, _ in first }
        let maxBody = settings.maxBodyBytes
        let readTimeout = settings.readTimeout
        let readNanoseconds = UInt64(readTimeout.components.seconds) * 1_000_000_000 + UInt64(readTimeout.components.attoseconds / 1_000_000_000)
        let signatureHeader = HTTPField.Name("x-line-signature")!

        let relayedHeader = HTTPField.Name("X-TalkVault-Relayed")!
        /// One webhook request: `route` names the channel for a body (by path, or by destination on the shared path).
        @Sendable func receive(_ request: Request, _ context: ConnectionContext,
                               route: @Sendable (Data) async -> Result<String, Refusal>) async -> Response {
            let started = DispatchTime.now().uptimeNanoseconds
            defer { metrics.latency.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - started)) }
            // A body a TalkVault relayed coming back is a relay loop (a target pointed at this
            // webhook through a public name): refused, so the loop ends with one dead letter.
            if request.headers[relayedHeader] != nil {
                metrics.request("malformed")
                context.stopReading()
                return closing(json(.badRequest, ["message": "a body relayed by TalkVault is never taken back: a relay target points at this webhook"]))
            }
            if let declared = request.headers.single(.contentLength).flatMap(Int.init), declared > maxBody {
                metrics.request("too_large")
                context.stopReading()
                return closing(json(.contentTooLarge, ["message": "body over \(maxBody) bytes"]))
            }
            let body: Data
            switch await readBody(request, upTo: maxBody, deadline: started + readNanoseconds) {
            case .read(let bytes):
                body = bytes
            case .tooLarge:
                metrics.request("too_large")
                context.stopReading()
                return closing(json(.contentTooLarge, ["message": "body over \(maxBody) bytes"]))
            case .timedOut:
                metrics.request("timeout")
                context.stopReading()
                return closing(json(.requestTimeout, ["message": "the body did not arrive within \(readTimeout)"]))
            case .unreadable:
                metrics.request("unreadable")
                context.stopReading()
                return closing(json(.badRequest, ["message": "the request body could not be read (malformed chunked encoding, or the connection ended early)"]))
            }
            let channel: String
            switch await route(body) {
            case .success(let name): channel = name
            case .failure(let refusal):
                metrics.request(refusal.metric)
                return json(.unauthorized, ["message": refusal.message])
            }
            // Nothing else is parsed, and nothing stored, before the signature checks out.
            guard let signature = signatures[channel], signature.isValid(request.headers.single(signatureHeader), for: body) else {
                metrics.request("bad_signature")
                return json(.unauthorized, ["message": "invalid or missing x-line-signature"])
            }
            // The same rejections as the full parse, which runs off the request path.
            do throws(WebhookError) {
                try WebhookParser.check(body)
            } catch {
                metrics.request("malformed")
                return json(.badRequest, ["message": error.description])
            }
            switch await committer.submit(body, channel: channel) {
            case .success:
                metrics.request("stored")
                return acknowledged()
            case .failure:
                metrics.request("failed")
                // Not acknowledged, so LINE redelivers it later.
                return json(.internalServerError, ["message": "not stored; retry later"])
            }
        }
        for channel in settings.channels {
            let name = channel.name
            router.post(RouterPath(channel.webhookPath)) { request, context in
                await receive(request, context) { _ in .success(name) }
            }
        }
        if let shared = settings.sharedWebhookPath {
            router.post(RouterPath(shared)) { request, context in
                await receive(request, context) { body in
                    // Only the destination is read before the signature: it says whose secret to check.
                    guard let destination = WebhookParser.destination(of: body) else {
                        return .failure(Refusal(metric: "unknown_destination", message: "the body names no destination (the bot's user id) to route it by"))
                    }
                    guard let name = await destinations.channel(for: destination) else {
                        return .failure(Refusal(metric: "unknown_destination",
                                                message: "unknown destination: no configured channel has this bot user id"))
                    }
                    return .success(name)
                }
            }
        }
        if let apiToken = settings.apiToken {
            MarkReadEndpoint(token: apiToken, reader: reader, clock: clock, receipts: receipts, audit: settings.audit).add(to: router)
        }
        router.get("/healthz") { _, _ -> Response in
            let reachable = await reader.isReachable()
            return json(reachable ? .ok : .serviceUnavailable, ["status": reachable ? "ok" : "degraded",
                                                                 "ledger": reachable ? "reachable" : "unreachable"])
        }
        router.get("/metrics") { _, _ -> Response in
            if let (status, inbox) = try? await reader.status(now: clock.now(), maxAge: settings.statusMaxAgeSeconds) {
                metrics.update(from: status, inbox: inbox, ledgerBytes: await reader.sizeOnDisk())
            }
            metrics.inboxBodies.record(committer.backlog)
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: metrics.render())))
        }
        return router
    }

    enum BodyRead {
        case read(Data)
        case tooLarge
        case timedOut
        case unreadable
    }

    /// The request's body, or why not. A stalled body is ended by the idle timeout (the
    /// connection closes, which surfaces here as unreadable); one that trickles in is ended by
    /// `deadline` (uptime nanoseconds), checked as each chunk arrives.
    static func readBody(_ request: Request, upTo maxBody: Int, deadline: UInt64) async -> BodyRead {
        var buffer = ByteBuffer()
        do {
            for try await chunk in request.body {
                guard buffer.readableBytes + chunk.readableBytes <= maxBody else { return .tooLarge }
                buffer.writeImmutableBuffer(chunk)
                if DispatchTime.now().uptimeNanoseconds > deadline { return .timedOut }
            }
        } catch is NIOTooManyBytesError {
            return .tooLarge
        } catch {
            return .unreadable
        }
        return .read(Data(buffer.readableBytesView))
    }

    /// `response`, telling the client the connection ends with it.
    static func closing(_ response: Response) -> Response {
        var response = response
        response.headers[.connection] = "close"
        return response
    }

    /// The 200 every stored body gets, built without an encoder: it is on the hot path.
    static func acknowledged() -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(staticString: "{}")))
    }

    static func json(_ status: HTTPResponse.Status, _ value: [String: String]) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers,
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: (try? encoder.encode(value)) ?? Data("{}".utf8))))
    }
}

extension HTTPFields {
    /// The field's value when it appears exactly once. The subscript joins repeated fields into
    /// a new string on every call, which is measurable on the webhook path; a repeated
    /// signature is refused anyway.
    func single(_ name: HTTPField.Name) -> String? {
        var found: String?
        for field in self where field.name == name {
            guard found == nil else { return nil }
            found = field.value
        }
        return found
    }
}
