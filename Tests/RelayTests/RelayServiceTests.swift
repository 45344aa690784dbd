import Foundation
@testable import InboxLog
import Intake
import LINE
@testable import Ledger
import LedgerTestSupport
import Logging
@testable import Relay
import ServiceLifecycle
import Store
import TalkVaultDomain
import Testing
import TestSupport

/// A transport that answers from a script and records what it was sent.
final class ScriptedTransport: RelayTransport, @unchecked Sendable {
    private let lock = NSLock()
    private var script: (Int) -> RelayAnswer
    private(set) var posts: [(body: [UInt8], headers: [(String, String)])] = []

    init(_ script: @escaping (Int) -> RelayAnswer) { self.script = script }

    func answer(with script: @escaping (Int) -> RelayAnswer) { lock.withLock { self.script = script } }
    var bodies: [[UInt8]] { lock.withLock { posts.map(\.body) } }
    var calls: Int { lock.withLock { posts.count } }

    func shutdown() async {}

    func post(_ body: [UInt8], headers: [(String, String)], to url: String, timeout: RetentionDuration) async -> RelayAnswer {
        lock.withLock {
            posts.append((body, headers))
            return script(posts.count)
        }
    }
}

/// A transport whose "down" host never answers and whose other hosts answer 200.
final class URLScriptedTransport: RelayTransport, @unchecked Sendable {
    private let lock = NSLock()
    private var posts: [(url: String, body: [UInt8])] = []

    func bodies(to url: String) -> [[UInt8]] { lock.withLock { posts.filter { $0.url == url }.map(\.body) } }
    func shutdown() async {}

    func post(_ body: [UInt8], headers: [(String, String)], to url: String, timeout: RetentionDuration) async -> RelayAnswer {
        lock.withLock { posts.append((url, body)) }
        return url.contains("down") ? .failed("connection refused") : .status(200)
    }
}

/// Wall time that a wait moves on: `max_age` passes as the relay backs off, in no real time.
final class LinkedClocks: WallClock, WaitingClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Int64

    init(start: Instant) { current = start.milliseconds }

    func now() -> Instant { lock.withLock { Instant(milliseconds: current) } }
    func elapsedMilliseconds() -> Int64 { lock.withLock { current } }
    func sleep(milliseconds: Int64) async throws {
        try Task.checkCancellation()
        lock.withLock { current += max(0, milliseconds) }
        await Task.yield()
    }
}

/// A ledger, its inbox log written as `serve` writes it, and a relay to one target.
struct RelayHarness {
    let dir = TempDir()
    let ledger: Ledger
    let directory: SegmentDirectory
    let hold = InboxHold()
    let writer: InboxLogWriter
    let clocks = LinkedClocks(start: LedgerHarness.now)
    static let secret = "relay-test-secret"

    init(segmentBytes: Int = 64 << 20) throws {
        ledger = try Ledger.opened(path: dir.file("ledger.sqlite3"), policy: .lineDefaults)
        directory = InboxApplier(ledger).directory
        writer = try InboxLogWriter(directory: directory, applied: try ledger.inboxStore.inboxPosition(),
                                    settings: .init(segmentBytes: segmentBytes, spareSegments: 0), hold: hold)
    }

    func relay(_ transport: any RelayTransport, maxAge: RetentionDuration = .hours(24), url: String = "http://127.0.0.1:9/hook",
               timeout: RetentionDuration = RetentionDuration(seconds: 5)) -> RelayService {
        RelayService(destinations: [RelayDestination(name: "lstep", url: url, timeout: timeout, maxAge: maxAge)],
                     ledgerPath: ledger.path, policy: .lineDefaults, directory: directory, hold: hold,
                     signatures: ["default": WebhookSignature(channelSecret: Self.secret)], transport: transport, clock: clocks, waiting: clocks,
                     logger: Logger(label: "relay-test"), pollMilliseconds: 1, jitter: { 0.5 })
    }

    /// Acknowledged bodies, as `serve` appends them.
    func append(_ count: Int, from first: Int = 0) throws -> [[UInt8]] {
        let bodies = (first..<first + count).map { n in
            Webhook.body([Webhook.text("m\(n)", "本文 \(n)", eventId: "e\(n)", at: LedgerHarness.now.milliseconds - 1_000 + Int64(n))])
        }
        try writer.append(bodies, receivedAt: clocks.now(), autoRead: false)
        return bodies.map { Array($0) }
    }

    func state() throws -> RelayTargetState { try #require(try ledger.relayStore.relayTargets().first { $0.name == "lstep" }) }

    /// Runs `relay` until `done`, then stops it as SIGTERM would.
    static func run(_ relay: RelayService, until done: () throws -> Bool) async throws {
        let running = RunningGroup(relay)
        let guardTime = ContinuousClock.now + .seconds(60)
        while try !done() {
            #expect(ContinuousClock.now < guardTime, "the relay did not finish")
            if ContinuousClock.now >= guardTime { break }
            try await Task.sleep(for: .milliseconds(5))
        }
        await running.stop()
    }
}

@Suite struct RelayServiceTests {
    @Test func aTargetDownThenUpGetsEveryBodyOnceInOrder() async throws {
        let h = try RelayHarness()
        // Down for the first five tries, then up.
        let transport = ScriptedTransport { $0 <= 5 ? .failed("connection refused") : .status(200) }
        let relay = h.relay(transport)
        try relay.prepare()
        let sent = try h.append(3) + h.append(2, from: 3)
        try await RelayHarness.run(relay) { (try? h.state().delivered) == 5 }
        #expect(transport.bodies.suffix(5) == sent, "each body, in order, after the retries")
        let state = try h.state()
        #expect(state.delivered == 5 && state.retried == 5 && state.dead == 0 && state.refused == 0)
        #expect(try h.ledger.relayStore.deadLetters(target: nil, queuedOnly: false, limit: 10).isEmpty)
    }

    @Test func aBodyRefusedWithA4xxIsKeptAndNotTriedAgain() async throws {
        let h = try RelayHarness()
        let transport = ScriptedTransport { $0 == 1 ? .status(400) : .status(200) }
        let relay = h.relay(transport)
        try relay.prepare()
        let sent = try h.append(2)
        try await RelayHarness.run(relay) { (try? h.state()).map { $0.delivered + $0.refused } == 2 }
        #expect(transport.calls == 2)
        let letters = try h.ledger.relayStore.deadLetters(target: "lstep", queuedOnly: false, limit: 10)
        #expect(letters.map(\.body) == [sent[0]] && letters.first?.refused == true && letters.first?.reason == "HTTP 400")
    }

    @Test func afterMaxAgeABodyIsDeadAndRelayRetrySendsItAgain() async throws {
        let h = try RelayHarness()
        let transport = ScriptedTransport { _ in .status(503) }
        let relay = h.relay(transport, maxAge: .hours(1))
        try relay.prepare()
        let sent = try h.append(1)
        let receivedAt = h.clocks.now()
        try await RelayHarness.run(relay) { (try? h.state().dead) == 1 }
        let letter = try #require(try h.ledger.relayStore.deadLetters(target: "lstep", queuedOnly: false, limit: 10).first)
        #expect(letter.body == sent[0] && !letter.refused && letter.reason.hasPrefix("HTTP 503, for 1h"))
        #expect(letter.attempts > 5, "backed off and tried again until max_age")
        #expect(h.clocks.now().milliseconds - LedgerHarness.now.milliseconds >= 3_600_000)

        // The target is back: `relay retry` queues the dead letter, and the relay sends it first.
        transport.answer { _ in .status(200) }
        #expect(try h.ledger.relayStore.queueRetry(target: "lstep", since: nil) == 1)
        let again = h.relay(transport, maxAge: .hours(1))
        try again.prepare()
        let before = transport.calls
        try await RelayHarness.run(again) { (try? h.ledger.relayStore.deadLetters(target: nil, queuedOnly: false, limit: 10).isEmpty) == true }
        #expect(transport.bodies.count == before + 1 && transport.bodies.last == sent[0])
        #expect(transport.posts.last?.headers.first { $0.0 == "X-TalkVault-Received-At" }?.1 == receivedAt.description,
                "sent again with the time LINE's body was received")
        #expect(try h.state().delivered == 1)
    }

    /// While one body waits out `max_age`, the ones behind it age too: their turn comes too late,
    /// and they are dead-lettered without a try, so a target that swallows every connection
    /// still moves through its backlog and the log can shrink.
    @Test func bodiesThatAgedPastMaxAgeWhileWaitingAreDeadWithoutATry() async throws {
        let h = try RelayHarness()
        let transport = ScriptedTransport { _ in .failed("timed out") }
        // A minute of max_age: a handful of backed-off tries, however busy the machine is.
        let relay = h.relay(transport, maxAge: RetentionDuration(seconds: 60))
        try relay.prepare()
        _ = try h.append(3)
        try await RelayHarness.run(relay) { (try? h.state().dead) == 3 }
        let letters = try h.ledger.relayStore.deadLetters(target: "lstep", queuedOnly: false, limit: 10)
        #expect(letters.count == 3 && letters.dropFirst().allSatisfy { $0.attempts == 0 && $0.reason.contains("when its turn came") })
        #expect(transport.calls == (try #require(letters.first)).attempts, "only the first body was ever posted")
    }

    /// The relay's own failure (here, another process holding the ledger's lock past the busy
    /// timeout) pauses the target and is retried: the relay goes on, and nothing is lost.
    @Test func aLedgerLockedForLongPausesTheRelayAndItGoesOn() async throws {
        let h = try RelayHarness()
        let transport = ScriptedTransport { _ in .status(200) }
        let relay = h.relay(transport)
        try relay.prepare()
        let sent = try h.append(2)
        let holder = try SQLiteHolder(path: h.ledger.path)
        let running = RunningGroup(relay)
        // The first delivery cannot be recorded while the lock is held (busy timeout: 5 s).
        try await Task.sleep(for: .seconds(6))
        holder.release()
        let guardTime = ContinuousClock.now + .seconds(30)
        while (try? h.state().delivered) != 2, ContinuousClock.now < guardTime { try await Task.sleep(for: .milliseconds(20)) }
        await running.stop()
        #expect(try h.state().delivered == 2)
        // Posted again after the failed record, as at least once allows: in order, nothing skipped.
        var unique: [[UInt8]] = []
        for body in transport.bodies where unique.last != body { unique.append(body) }
        #expect(unique == sent)
    }

    /// Two targets, one down: the other receives every body meanwhile.
    @Test func aDeadTargetHoldsBackNoOtherTarget() async throws {
        let h = try RelayHarness()
        let up = URLScriptedTransport()
        let relay = RelayService(
            destinations: [RelayDestination(name: "down", url: "http://down.invalid/hook", timeout: RetentionDuration(seconds: 5), maxAge: .hours(24)),
                           RelayDestination(name: "up", url: "http://up.invalid/hook", timeout: RetentionDuration(seconds: 5), maxAge: .hours(24))],
            ledgerPath: h.ledger.path, policy: .lineDefaults, directory: h.directory, hold: h.hold,
            // Wall time stands still and waits are real: the dead target's backoff neither spins nor
            // ages the other's bodies past max_age, however the two tasks are scheduled.
            signatures: ["default": WebhookSignature(channelSecret: RelayHarness.secret)], transport: up, clock: FixedClock(LedgerHarness.now),
            waiting: SystemWaitingClock(), logger: Logger(label: "relay-test"), pollMilliseconds: 1, jitter: { 0.5 })
        try relay.prepare()
        let sent = try h.append(10)
        try await RelayHarness.run(relay) { up.bodies(to: "http://up.invalid/hook").count == 10 }
        #expect(up.bodies(to: "http://up.invalid/hook") == sent)
        let states = try h.ledger.relayStore.relayTargets()
        #expect(states.first { $0.name == "down" }?.delivered == 0 && states.first { $0.name == "up" }?.delivered == 10)
    }

    /// A cancel (the service group's, when another service fails) ends the relay even while a
    /// target is down and the relay is backing off, instead of spinning on sleeps that return
    /// at once.
    @Test func aCancelEndsTheRelayWhileATargetIsDown() async throws {
        let h = try RelayHarness()
        let relay = h.relay(ScriptedTransport { _ in .failed("connection refused") })
        try relay.prepare()
        _ = try h.append(1)
        let running = Task { try await relay.run() }
        try await Task.sleep(for: .milliseconds(100))
        running.cancel()
        let ended = try await withHangGuard(seconds: 20, "the relay ending on cancel") { _ = await running.result; return true }
        #expect(ended == true)
    }

    /// A relay stopped and started again resumes from its durable position: nothing skipped,
    /// nothing sent twice that was recorded.
    @Test func aRestartResumesFromTheDurablePosition() async throws {
        let h = try RelayHarness()
        let transport = ScriptedTransport { _ in .status(200) }
        let first = h.relay(transport)
        try first.prepare()
        let early = try h.append(4)
        try await RelayHarness.run(first) { (try? h.state().delivered) == 4 }
        let late = try h.append(3, from: 4)
        let second = h.relay(transport)
        try second.prepare()
        try await RelayHarness.run(second) { (try? h.state().delivered) == 7 }
        #expect(transport.bodies == early + late)
    }

    /// The writer recycles no segment a target still needs, however far the apply has got.
    @Test func theLogKeepsTheSegmentsATargetStillNeeds() throws {
        let h = try RelayHarness(segmentBytes: 4_096)
        h.hold.hold("lstep", from: 1)
        // Bodies of 3,000 bytes: a 4 KiB segment holds one, so each append rolls to a new segment.
        for _ in 0..<6 { try h.writer.append([Data(repeating: 0x7B, count: 3_000)], receivedAt: h.clocks.now(), autoRead: false) }
        let segments = try h.directory.segments()
        #expect(segments.count > 2)
        h.writer.applied(durablyBelow: segments.last!)
        try h.writer.trim()
        #expect(try h.directory.segments() == segments, "held: nothing trimmed")
        h.hold.release("lstep")
        try h.writer.trim()
        #expect(try h.directory.segments().count < segments.count, "released: the applied segments go")
    }
}
