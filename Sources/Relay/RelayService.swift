import Foundation
import InboxLog
import LINE
import Ledger
import Logging
import Metrics
import ServiceLifecycle
import Store
import TalkVaultDomain

/// One target as the relay sends to it: the config's target with its secret header resolved.
public struct RelayDestination: Sendable {
    public var name: String
    public var url: String
    public var timeout: RetentionDuration
    public var maxAge: RetentionDuration
    public var secretHeader: (name: String, value: Secret)?
    /// The channels whose bodies it takes; nil for all.
    public var channels: Set<String>?

    public init(name: String, url: String, timeout: RetentionDuration, maxAge: RetentionDuration,
                secretHeader: (name: String, value: Secret)? = nil, channels: Set<String>? = nil) {
        self.channels = channels
        self.name = name
        self.url = url
        self.timeout = timeout
        self.maxAge = maxAge
        self.secretHeader = secretHeader
    }
}

/// Relays every body `serve` acknowledged to each target, from the inbox log, never on the
/// request path: each target reads the log from a durable position of its own and holds its
/// segments (`InboxHold`), so a slow or dead target holds back nobody. At least once, in
/// arrival order per target; after a crash a target sees at most the one body it was sending
/// again. A failure of its own (a ledger locked for long, a disk error) pauses one target and is
/// retried; it never stops `serve`.
public final class RelayService: Service, Sendable, CustomStringConvertible {
    let destinations: [RelayDestination]
    let ledgerPath: String
    let policy: RetentionPolicy
    let directory: SegmentDirectory
    let hold: InboxHold
    let signatures: [String: WebhookSignature]
    let givenTransport: (any RelayTransport)?
    let clock: any WallClock
    let waiting: any WaitingClock
    let metrics: RelayMetrics
    let logger: Logger
    let pollMilliseconds: Int64
    let jitter: @Sendable () -> Double

    /// - Parameter transport: how bodies are posted; nil for HTTP, made when the service runs.
    public init(destinations: [RelayDestination], ledgerPath: String, policy: RetentionPolicy, directory: SegmentDirectory,
                hold: InboxHold, signatures: [String: WebhookSignature], transport: (any RelayTransport)? = nil, clock: any WallClock,
                waiting: any WaitingClock, metricsFactory: (any MetricsFactory)? = nil, logger: Logger,
                pollMilliseconds: Int64 = 100, jitter: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }) {
        self.destinations = destinations
        self.ledgerPath = ledgerPath
        self.policy = policy
        self.directory = directory
        self.hold = hold
        self.signatures = signatures
        self.givenTransport = transport
        self.clock = clock
        self.waiting = waiting
        self.metrics = RelayMetrics(names: destinations.map(\.name), factory: metricsFactory)
        self.logger = logger
        self.pollMilliseconds = pollMilliseconds
        self.jitter = jitter
    }

    public var description: String { "RelayService(\(destinations.map(\.name).joined(separator: ", ")))" }

    /// Before `serve` writes the log: a target seen for the first time starts at the apply's
    /// position (bodies acknowledged from now on), and every target holds its segments, so the
    /// writer recycles none it still has to send.
    public func prepare() throws(LedgerError) {
        let ledger = try Ledger(path: ledgerPath, policy: policy, access: .readWrite(create: false))
        let start = try ledger.inboxStore.inboxPosition()
        for destination in destinations {
            try ledger.relayStore.startRelayTarget(destination.name, at: start, now: clock.now())
        }
        let positions = Dictionary(uniqueKeysWithValues: try ledger.relayStore.relayTargets().map { ($0.name, $0.position) })
        for destination in destinations { hold.hold(destination.name, from: positions[destination.name]?.segment ?? start.segment) }
    }

    public func run() async throws {
        let transport = givenTransport ?? HTTPRelayTransport()
        await withDiscardingTaskGroup { group in
            for destination in destinations {
                group.addTask { await self.relay(to: destination, transport: transport) }
            }
        }
        await transport.shutdown()
    }

    /// A graceful shutdown, or the group's cancel (another service failed, a second signal):
    /// either ends every loop, so none spins on a sleep that returns at once.
    static var stopping: Bool { Task.isShuttingDownGracefully || Task.isCancelled }

    /// One target, until shutdown: a pass at a time, each pass's failure logged and retried.
    func relay(to destination: RelayDestination, transport: any RelayTransport) async {
        let io = TargetIO(name: destination.name, ledgerPath: ledgerPath, policy: policy, directory: directory)
        var log = TargetLog(name: destination.name, logger: logger)
        var failures = 0
        logger.info("relay target up", metadata: ["target": "\(destination.name)"])
        while !Self.stopping {
            let didWork: Bool
            do {
                didWork = try await pass(destination, io: io, transport: transport, log: &log)
                failures = 0
            } catch {
                failures += 1
                log.paused(error)
                io.reset()
                let wait = RelayRules.wait(attempt: failures, jitter: jitter(), remainingMilliseconds: 60_000)
                try? await cancelWhenGracefulShutdown { try await self.waiting.sleep(milliseconds: wait) }
                continue
            }
            if !didWork {
                metrics.lag(seconds: 0, for: destination.name)
                metrics.lag(bodies: 0, for: destination.name)
                try? await cancelWhenGracefulShutdown { try await self.waiting.sleep(milliseconds: self.pollMilliseconds) }
            }
        }
    }

    /// The dead letters `relay retry` queued, then the log from the target's position. False
    /// when there was nothing to send.
    func pass(_ destination: RelayDestination, io: TargetIO, transport: any RelayTransport, log: inout TargetLog) async throws -> Bool {
        let name = destination.name
        var didWork = false
        for letter in try await io.perform({ try $0.store().deadLetters(target: name, queuedOnly: true, limit: 10) }) {
            // A dead letter sent again gets `max_age` afresh from now, and keeps its receipt time.
            guard let outcome = await deliver(letter.body, channel: letter.channel, receivedAt: letter.receivedAt, patienceFrom: clock.now(), to: destination,
                                              transport: transport, io: io, log: &log) else { return didWork }
            let now = clock.now()
            try await io.perform { try $0.store().recordRetry(letter, outcome: outcome, now: now) }
            metrics.count(outcome, for: name)
            didWork = true
        }
        var position = try await io.perform { io throws -> InboxPosition in
            guard let position = try io.store().relayTargets().first(where: { $0.name == name })?.position else {
                throw LedgerError.io(path: io.ledgerPath, reason: "relay target \(name) was not prepared")
            }
            try io.openReader(from: position)
            return position
        }
        var backlog: Int?
        while !Self.stopping, let record = try await io.perform({ try $0.next() }) {
            // The backlog, counted once per pass that has work (the log is local and bodies small).
            // Counted again when the count runs out: bodies keep arriving while a backlog drains.
            if backlog ?? 0 == 0 { backlog = try await io.perform { [position] io in try io.count(from: position) } }
            metrics.lag(bodies: backlog ?? 0, for: name)
            let outcome: RelayOutcome
            if let channels = destination.channels, !channels.contains(record.channel) {
                outcome = .passed
            } else if record.damaged {
                outcome = .skipped(reason: "damaged in the inbox log; its bytes cannot be trusted")
                logger.error("relay target skipped a body damaged in the inbox log", metadata: ["target": "\(name)", "at": "\(position)"])
            } else {
                metrics.lag(seconds: Double(clock.now().milliseconds - record.receivedAt.milliseconds) / 1_000, for: name)
                guard let delivered = await deliver(record.body, channel: record.channel, receivedAt: record.receivedAt, patienceFrom: record.receivedAt,
                                                    to: destination, transport: transport, io: io, from: position, log: &log)
                else { return true }
                outcome = delivered
            }
            let now = clock.now()
            try await io.perform { io in
                try io.store().recordRelay(name, outcome: outcome, body: record.body, channel: record.channel, receivedAt: record.receivedAt,
                                           through: record.end, now: now)
            }
            position = record.end
            backlog = max(0, (backlog ?? 1) - 1)
            hold.hold(name, from: position.segment)
            metrics.count(outcome, for: name)
            didWork = true
        }
        for finding in await io.perform({ $0.takeFindings() }) {
            logger.error("relay target passed damage in the inbox log; what it held is not relayed",
                         metadata: ["target": "\(name)", "damage": "\(finding)"])
        }
        return didWork
    }

    /// Sends one body until the target takes it, refuses it, or `maxAge` has passed since
    /// `patienceFrom`. Nil when a graceful shutdown came first: nothing is recorded, and the next
    /// start sends it again.
    /// - Parameter from: where the body is in the log, to keep the lag gauges true while it waits.
    func deliver(_ body: [UInt8], channel: String, receivedAt: Instant, patienceFrom: Instant, to destination: RelayDestination,
                 transport: any RelayTransport, io: TargetIO, from: InboxPosition? = nil, log: inout TargetLog) async -> RelayOutcome? {
        let maxAgeMilliseconds = destination.maxAge.seconds * 1_000
        // Its time ran out while others waited (the target was down): dead at once, so a target
        // that swallows connections still moves through its backlog, and the log can shrink.
        if clock.now().milliseconds - patienceFrom.milliseconds >= maxAgeMilliseconds {
            return .dead(reason: "older than max_age (\(destination.maxAge)) when its turn came; not sent", attempts: 0)
        }
        // Signed again with the secret of the channel it arrived for: the same bytes, LINE's signature.
        guard let signature = signatures[channel] else {
            return .dead(reason: "channel \(channel) is no longer configured; its secret cannot sign the body", attempts: 0)
        }
        let headers = RelayRules.headers(signature: signature.sign(body), receivedAt: receivedAt,
                                         secretHeader: destination.secretHeader.map { ($0.name, $0.value.revealed) })
        var attempt = 1
        while true {
            let (url, timeout) = (destination.url, destination.timeout)
            let answer = await cancelWhenGracefulShutdown { await transport.post(body, headers: headers, to: url, timeout: timeout) }
            let verdict = RelayRules.verdict(answer)
            if verdict != .delivered && Self.stopping { return nil }
            switch verdict {
            case .delivered:
                log.succeeded()
                return .delivered(attempts: attempt)
            case .refused(let reason):
                log.succeeded()
                return .refused(reason: reason, attempts: attempt)
            case .retry(let reason):
                log.failed(reason)
                let name = destination.name, now = clock.now()
                // For `relay status`; a ledger too busy to note it must not stop the relay.
                _ = try? await io.perform { try $0.store().noteRelayFailing(name, since: now, reason: reason) }
                if let from {
                    metrics.lag(seconds: Double(now.milliseconds - receivedAt.milliseconds) / 1_000, for: name)
                    if let backlog = try? await io.perform({ try $0.count(from: from) }) { metrics.lag(bodies: backlog, for: name) }
                }
                let remaining = maxAgeMilliseconds - (clock.now().milliseconds - patienceFrom.milliseconds)
                guard remaining > 0 else { return .dead(reason: "\(reason), for \(destination.maxAge) (max_age)", attempts: attempt) }
                let wait = RelayRules.wait(attempt: attempt, jitter: jitter(), remainingMilliseconds: remaining)
                do {
                    try await cancelWhenGracefulShutdown { try await self.waiting.sleep(milliseconds: wait) }
                } catch {
                    return nil
                }
                if Self.stopping { return nil }
                attempt += 1
            }
        }
    }
}

/// One log line per change of a target's state: failing, then recovered. Never a body.
struct TargetLog {
    let name: String
    let logger: Logger
    var failing = false

    mutating func failed(_ reason: String) {
        guard !failing else { return }
        failing = true
        logger.warning("relay target failing; retrying with backoff", metadata: ["target": "\(name)", "reason": "\(reason)"])
    }

    /// A failure of the relay's own (the ledger, the log): the target pauses and tries again.
    func paused(_ error: any Error) {
        logger.error("relay target paused by an error of its own; trying again", metadata: ["target": "\(name)", "error": "\(error)"])
    }

    mutating func succeeded() {
        guard failing else { return }
        failing = false
        logger.notice("relay target recovered", metadata: ["target": "\(name)"])
    }
}
