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

    public init(name: String, url: String, timeout: RetentionDuration, maxAge: RetentionDuration,
                secretHeader: (name: String, value: Secret)? = nil) {
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
/// again.
public final class RelayService: Service, Sendable, CustomStringConvertible {
    let destinations: [RelayDestination]
    let ledgerPath: String
    let policy: RetentionPolicy
    let directory: SegmentDirectory
    let hold: InboxHold
    let signature: WebhookSignature
    let transport: any RelayTransport
    let clock: any WallClock
    let waiting: any WaitingClock
    let metrics: RelayMetrics
    let logger: Logger
    let pollMilliseconds: Int64
    let jitter: @Sendable () -> Double

    public init(destinations: [RelayDestination], ledgerPath: String, policy: RetentionPolicy, directory: SegmentDirectory,
                hold: InboxHold, signature: WebhookSignature, transport: any RelayTransport, clock: any WallClock,
                waiting: any WaitingClock, metricsFactory: (any MetricsFactory)? = nil, logger: Logger,
                pollMilliseconds: Int64 = 100, jitter: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }) {
        self.destinations = destinations
        self.ledgerPath = ledgerPath
        self.policy = policy
        self.directory = directory
        self.hold = hold
        self.signature = signature
        self.transport = transport
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
        do {
            try await withThrowingDiscardingTaskGroup { group in
                for destination in destinations {
                    group.addTask { try await self.relay(to: destination) }
                }
            }
        } catch {
            await transport.shutdown()
            throw error
        }
        await transport.shutdown()
    }

    /// One target's loop: the dead letters `relay retry` queued, then the log from its position.
    func relay(to destination: RelayDestination) async throws {
        let ledger = try Ledger(path: ledgerPath, policy: policy, access: .readWrite(create: false))
        let store = ledger.relayStore
        guard var position = try store.relayTargets().first(where: { $0.name == destination.name })?.position else {
            throw LedgerError.io(path: ledgerPath, reason: "relay target \(destination.name) was not prepared")
        }
        var target = TargetLog(name: destination.name, logger: logger)
        logger.info("relay target up", metadata: ["target": "\(destination.name)", "position": "\(position)"])
        while !Task.isShuttingDownGracefully {
            var didWork = false
            for letter in try store.deadLetters(target: destination.name, queuedOnly: true, limit: 100) {
                guard let outcome = try await deliver(letter.body, receivedAt: clock.now(), to: destination, store: store, log: &target) else { return }
                try store.recordRetry(letter, outcome: outcome, now: clock.now())
                metrics.count(outcome, for: destination.name)
                didWork = true
            }
            let reader = try InboxLogReader(directory: directory, from: position)
            var backlog: Int?
            while !Task.isShuttingDownGracefully, let record = try reader.next() {
                // The backlog, counted once per pass that has work (the log is local and bodies small).
                if backlog == nil { backlog = try Self.count(from: position, in: directory) }
                metrics.lag(bodies: backlog ?? 0, for: destination.name)
                let outcome: RelayOutcome
                if record.damaged {
                    outcome = .dead(reason: "damaged in the inbox log; its bytes cannot be trusted", attempts: 0)
                } else {
                    metrics.lag(seconds: Double(clock.now().milliseconds - record.receivedAt.milliseconds) / 1_000, for: destination.name)
                    guard let delivered = try await deliver(record.body, receivedAt: record.receivedAt, to: destination, store: store,
                                                            from: position, log: &target)
                    else { return }
                    outcome = delivered
                }
                try store.recordRelay(destination.name, outcome: outcome, body: record.damaged ? [] : record.body,
                                      receivedAt: record.receivedAt, through: record.end, now: clock.now())
                position = record.end
                backlog = max(0, (backlog ?? 1) - 1)
                hold.hold(destination.name, from: position.segment)
                metrics.count(outcome, for: destination.name)
                didWork = true
            }
            _ = reader.takeFindings()  // The apply records damage; the relay only skips it.
            if !didWork {
                metrics.lag(seconds: 0, for: destination.name)
                metrics.lag(bodies: 0, for: destination.name)
                try? await cancelWhenGracefulShutdown { try await self.waiting.sleep(milliseconds: self.pollMilliseconds) }
            }
        }
    }

    /// Bodies in the log from `position` on.
    static func count(from position: InboxPosition, in directory: SegmentDirectory) throws -> Int {
        let reader = try InboxLogReader(directory: directory, from: position)
        var count = 0
        while try reader.next() != nil { count += 1 }
        return count
    }

    /// Sends one body until the target takes it, refuses it, or it turns `maxAge` old. Nil when
    /// a graceful shutdown came first: nothing is recorded, and the next start sends it again.
    /// - Parameter from: where the body is in the log, to keep the lag gauges true while it waits.
    func deliver(_ body: [UInt8], receivedAt: Instant, to destination: RelayDestination, store: LedgerRelay, from: InboxPosition? = nil,
                 log: inout TargetLog) async throws -> RelayOutcome? {
        let headers = RelayRules.headers(signature: signature.sign(body), receivedAt: receivedAt,
                                         secretHeader: destination.secretHeader.map { ($0.name, $0.value.revealed) })
        var attempt = 1
        while true {
            let answer = await transport.post(body, headers: headers, to: destination.url, timeout: destination.timeout)
            switch RelayRules.verdict(answer) {
            case .delivered:
                log.succeeded()
                return .delivered(attempts: attempt)
            case .refused(let reason):
                log.succeeded()
                return .refused(reason: reason, attempts: attempt)
            case .retry(let reason):
                log.failed(reason)
                // For `relay status`; a ledger too busy to note it must not stop the relay.
                try? store.noteRelayFailing(destination.name, since: clock.now(), reason: reason)
                if let from {
                    metrics.lag(seconds: Double(clock.now().milliseconds - receivedAt.milliseconds) / 1_000, for: destination.name)
                    if let backlog = try? Self.count(from: from, in: directory) { metrics.lag(bodies: backlog, for: destination.name) }
                }
                let age = clock.now().milliseconds - receivedAt.milliseconds
                let remaining = destination.maxAge.seconds * 1_000 - age
                guard remaining > 0 else { return .dead(reason: "\(reason), for \(destination.maxAge) (max_age)", attempts: attempt) }
                let wait = RelayRules.wait(attempt: attempt, jitter: jitter(), remainingMilliseconds: remaining)
                do {
                    try await cancelWhenGracefulShutdown { try await self.waiting.sleep(milliseconds: wait) }
                } catch {
                    return nil
                }
                if Task.isShuttingDownGracefully { return nil }
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

    mutating func succeeded() {
        guard failing else { return }
        failing = false
        logger.notice("relay target recovered", metadata: ["target": "\(name)"])
    }
}
