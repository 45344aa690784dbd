import AsyncHTTPClient
import Foundation
import Hummingbird
import LINE
import LINESimulator
import Intake
import Ledger
import Store
import Logging
import NIOCore
import NIOHTTP1
import Server
import ServiceLifecycle
import TalkVaultDomain
import Testing

/// `WebhookServer`'s app, in this process, on a free port.
struct ServerHarness {
    static let secret = "channel_secret"
    let dir: TempDir
    let url: String
    let metrics: ServerMetrics
    let group: ServiceGroup
    let task: Task<Void, any Error>
    let ledgerPath: String

    /// - Parameter ledgerPath: a ledger to serve instead of a new one in a new directory.
    static func start(maxBody: Int = 1 << 20, segmentBytes: Int? = nil, ledgerPath: String? = nil,
                      configure: (inout ServerSettings) -> Void = { _ in }) async throws -> ServerHarness {
        let dir = TempDir()
        let metrics = ServerMetrics()
        var settings = ServerSettings(host: "127.0.0.1", port: 0, maxBodyBytes: maxBody, channelSecret: secret,
                                      ledgerPath: ledgerPath ?? dir.file("data/ledger.sqlite3"), policy: .lineDefaults,
                                      timeZone: TimeZone(identifier: "Asia/Tokyo")!)
        if let segmentBytes { settings.inboxLog.segmentBytes = segmentBytes }
        configure(&settings)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let app = try WebhookServer.buildApplication(settings: settings, clock: FixedClock(LedgerHarness.now), logger: logger,
                                                     metrics: metrics) { continuation.yield($0); continuation.finish() }
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let task = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        let port = await iterator.next() ?? 0
        return ServerHarness(dir: dir, ledgerPath: settings.ledgerPath, url: "http://127.0.0.1:\(port)", metrics: metrics, group: group, task: task)
    }

    private init(dir: TempDir, ledgerPath: String, url: String, metrics: ServerMetrics, group: ServiceGroup, task: Task<Void, any Error>) {
        self.dir = dir  // keeps the directory alive as long as the harness
        self.ledgerPath = ledgerPath
        self.group = group
        self.url = url
        self.metrics = metrics
        self.task = task
    }

    /// `signatureTimes`: how many `x-line-signature` fields carry the signature.
    func request(_ method: HTTPMethod = .POST, _ path: String = "/webhook", body: Data? = nil, signature: String? = nil,
                 sign: Bool = true, signatureTimes: Int = 1) async throws -> (Int, String) {
        var request = HTTPClientRequest(url: url + path)
        request.method = method
        if let body {
            request.body = .bytes(ByteBuffer(bytes: body))
            let header = signature ?? (sign ? WebhookSignature(channelSecret: Self.secret).sign(body) : nil)
            for _ in 0..<signatureTimes { if let header { request.headers.add(name: "x-line-signature", value: header) } }
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 1 << 20)))
    }

    /// The ledger's row counts. Opening the ledger applies what the server has not applied yet,
    /// as every command does, so this sees every acknowledged event.
    func counts() throws -> [String: Int] {
        try Ledger.opened(path: ledgerPath, policy: .lineDefaults, create: false).statusStore.tableCounts()
    }

    /// Waits until the server itself has applied its inbox; false after 10 s.
    func appliedByTheServer() async throws -> Bool {
        let ledger = try Ledger.opened(path: ledgerPath, policy: .lineDefaults, create: false, applyingInbox: false)
        for _ in 0..<1_000 {
            if try InboxApplier(ledger).size().bodies == 0 { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    var port: Int { Int(url.split(separator: ":").last!)! }

    /// Stops the server as SIGTERM does: a graceful shutdown of its service group.
    func stop() async {
        await group.triggerGracefulShutdown()
        _ = await task.result
    }
}

@Suite struct ServerTests {
    @Test func theConformanceFixtureIsStoredOverHTTP() async throws {
        let server = try await ServerHarness.start()
        let (status, _) = try await server.request(body: try Fixtures.uniqueConformanceData())
        #expect(status == 200)
        #expect(try await server.appliedByTheServer())
        let metrics = try await server.request(.GET, "/metrics").1
        #expect(metrics.contains("talkvault_events_stored_total 27"))
        #expect(metrics.contains("talkvault_inbox_applied_bodies_total 1"))
        #expect(metrics.contains("talkvault_inbox_bodies 0"))
        let counts = try server.counts()
        #expect(counts["raw_events"] == 27)
        #expect(counts["messages"] == 11)
        // As is, with its reused event id: answered 200, applied, and counted as conflicts.
        #expect(try await server.request(body: try Fixtures.conformanceData()).0 == 200)
        #expect(try await server.request(.GET, "/healthz").0 == 200)
        await server.stop()
    }

    @Test func everyRejectionLeavesTheLedgerUntouchedAndTheServerUp() async throws {
        let server = try await ServerHarness.start(maxBody: 4_096)
        let good = Webhook.body([Webhook.text("m1", "ok", eventId: "e1", at: 1_790_000_000_000)])
        #expect(try await server.request(body: good).0 == 200)
        let before = try server.counts()

        #expect(try await server.request(body: good, signature: "AAAA").0 == 401)
        #expect(try await server.request(body: good, sign: false).0 == 401)
        #expect(try await server.request(body: good, signature: WebhookSignature(channelSecret: "other").sign(good)).0 == 401)
        let malformed = Data("{\"events\": [ 秘密".utf8)
        let (status400, message) = try await server.request(body: malformed)
        #expect(status400 == 400)
        #expect(!message.contains("秘密"))
        #expect(try await server.request(body: Data(repeating: 0x20, count: 5_000)).0 == 413)
        #expect(try await server.request(body: good, signature: nil).0 == 200, "a true redelivery is fine")
        #expect([404, 405].contains(try await server.request(.GET, "/webhook").0))
        #expect(try await server.request(.POST, "/elsewhere", body: good).0 == 404)
        #expect(try await server.request(body: Data("{\"destination\":\"U\",\"events\":[]}".utf8)).0 == 200)

        #expect(try server.counts() == before)
        #expect(try await server.request(.GET, "/healthz").0 == 200)
        let metrics = try await server.request(.GET, "/metrics").1
        #expect(metrics.contains(#"talkvault_webhook_requests_total{outcome="bad_signature"} 3"#))
        #expect(metrics.contains(#"talkvault_webhook_requests_total{outcome="malformed"} 1"#))
        #expect(metrics.contains(#"talkvault_webhook_requests_total{outcome="too_large"} 1"#))
        #expect(metrics.contains("talkvault_ledger_messages 1"))
        #expect(metrics.contains(#"talkvault_webhook_request_duration_seconds_bucket{le="0.00025"}"#), "sub-millisecond buckets")
        let value = { (name: String) -> Double? in
            metrics.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ")[1]) }
        }
        // Not every one: a request that comes while the writer applies queues for it instead.
        #expect((value("talkvault_commits_on_caller_total") ?? 0) >= 1, "one request at a time commits on its own thread")
        #expect((value("talkvault_commit_duration_seconds_count") ?? 0) >= (value("talkvault_commits_on_caller_total") ?? 0))
        // A signature sent twice is not one signature, even when both copies are right.
        #expect(try await server.request(body: good, signatureTimes: 2).0 == 401)
        #expect(try server.counts() == before)
        await server.stop()
    }

    @Test func aFailedAppendGets500AndTheServerGoesOn() async throws {
        let server = try await ServerHarness.start(segmentBytes: 8 * 1024)
        let inbox = server.ledgerPath + "-inbox"
        let fm = FileManager.default
        // Let the background zero-fill finish, then block every way to a new segment: a
        // directory where the prepared one and the one made on the spot would go.
        for _ in 0..<2_000 where !fm.fileExists(atPath: inbox + "/prepared.zero") || fm.fileExists(atPath: inbox + "/preparing.tmp") {
            try await Task.sleep(for: .milliseconds(5))
        }
        try fm.removeItem(atPath: inbox + "/prepared.zero")
        try fm.createDirectory(atPath: inbox + "/prepared.zero/blocked", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: inbox + "/next.tmp", withIntermediateDirectories: true)
        var acknowledged: [Int] = []
        var refused: Int?
        for n in 0..<100 where refused == nil {
            let body = Webhook.body([Webhook.text("m\(n)", "hello \(n)", eventId: "e\(n)", at: 1_790_000_000_000)])
            let (status, answer) = try await server.request(body: body)
            if status == 200 { acknowledged.append(n) } else {
                #expect(status == 500)
                #expect(answer.contains("not stored"))
                refused = n
            }
        }
        let failed = try #require(refused, "the segment filled up without a roll")
        #expect(acknowledged == Array(0..<failed))
        #expect(server.metrics.render().contains(#"talkvault_webhook_requests_total{outcome="failed"} 1"#))
        // Once the way is clear, the same server goes on where it stopped.
        try fm.removeItem(atPath: inbox + "/next.tmp")
        try fm.removeItem(atPath: inbox + "/prepared.zero")
        let again = Webhook.body([Webhook.text("m\(failed)", "hello \(failed)", eventId: "e\(failed)", at: 1_790_000_000_000)])
        #expect(try await server.request(body: again).0 == 200)
        let counts = try server.counts()
        #expect(counts["messages"] == failed + 1)
        #expect(counts["raw_events"] == failed + 1, "the refused body was not half-stored")
        await server.stop()
    }

    @Test func aRedeliveryStormEndsWithOneRowPerMessage() async throws {
        let server = try await ServerHarness.start()
        let simulator = try await SimulatorServer.start(config: SimulatorConfig(seed: 5))
        let plan = TrafficGenerator.plan(TrafficConfig(seed: 5, messages: 120, end: LedgerHarness.now, unsendRate: 0, editRate: 0),
                                         simulator: SimulatorConfig(seed: 5))
        let sender = WebhookSender(target: server.url + "/webhook", channelSecret: ServerHarness.secret,
                                   registry: simulator.state, redeliveryRate: 1, concurrency: 8, seed: 5)
        let report = try await sender.send(plan)
        #expect(report.extraRedeliveries == plan.deliveries.count)
        #expect(report.gaveUp == 0)
        let status = try Ledger.opened(path: server.ledgerPath, policy: .lineDefaults, create: false)
            .statusStore.status(now: LedgerHarness.now, timeZone: TimeZone(identifier: "UTC")!)
        #expect(status.ledger.messages == plan.messages.count)
        #expect(status.ledger.events == report.events)
        #expect(status.ledger.redeliveredEvents == report.events)
        await simulator.stop()
        await server.stop()
    }
}

/// The built binary: shutdown, secrets, and kill -9 under load.
@Suite struct ServeBinaryTests {
    static func startServe(dataDir: String, environment: [String: String] = ["TALKVAULT_CHANNEL_SECRET": ServerHarness.secret],
                           config: String = "\(Fixtures.packageRoot)/retention.yaml") throws -> (Process, String, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLITests.binary)
        process.arguments = ["serve", "--port", "0", "--data-dir", dataDir, "--config", config]
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "TALKVAULT_CHANNEL_SECRET")
        env.removeValue(forKey: "CREDENTIALS_DIRECTORY")
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).contains("listening on http://") {
            let chunk = err.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen.append(chunk)
        }
        let text = String(decoding: seen, as: UTF8.self)
        let url = text.range(of: #"http://[0-9.]+:[0-9]+"#, options: .regularExpression).map { String(text[$0]) } ?? ""
        return (process, url, err)
    }

    /// POSTs a body signed with the test secret to a running binary's webhook; its status.
    static func post(_ body: Data, to url: String, timeout: Int64 = 10) async throws -> HTTPResponseStatus {
        var request = HTTPClientRequest(url: url + "/webhook")
        request.method = .POST
        request.headers.add(name: "x-line-signature", value: WebhookSignature(channelSecret: ServerHarness.secret).sign(body))
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(timeout))
        _ = try? await response.body.collect(upTo: 1 << 16)
        return response.status
    }

    @Test func aMissingSecretIsAConfigError() throws {
        let dir = TempDir()
        let result = try run(CLITests.binary, ["serve", "--port", "0", "--data-dir", dir.path],
                             environment: ["TALKVAULT_CHANNEL_SECRET": "", "CREDENTIALS_DIRECTORY": ""])
        #expect(result.status == 78)
        #expect(result.stderr.contains("TALKVAULT_CHANNEL_SECRET"))
    }

    @Test func theSecretComesFromSystemdCredentialsAndSIGTERMExitsZero() async throws {
        let dir = TempDir()
        dir.write("creds/channel-secret", ServerHarness.secret + "\n")
        let (process, url, err) = try Self.startServe(dataDir: dir.file("data"), environment: ["CREDENTIALS_DIRECTORY": dir.file("creds")])
        #expect(url.hasPrefix("http://127.0.0.1:"))
        let body = Webhook.body([Webhook.text("m1", "秘密の本文", eventId: "e1", at: 1_790_000_000_000)])
        #expect(try await Self.post(body, to: url) == .ok)
        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let logs = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(!logs.contains(ServerHarness.secret), "the secret must never be logged")
        #expect(!logs.contains("秘密"), "message text must never be logged")
        // One line per applied batch, its counts formatted as metadata when it is written.
        let applied = logs.split(separator: "\n").filter { $0.contains("webhook events applied") }
        #expect(applied.count == 1)
        #expect(applied.first.map { $0.contains("bodies=1") && $0.contains("new_messages=1") && $0.contains(" info ") } == true)
    }

    @Test func everyAcknowledgedEventSurvivesKill9UnderLoad() async throws {
        let dir = TempDir()
        let (process, url, _) = try Self.startServe(dataDir: dir.file("data"))
        let acknowledged = await withTaskGroup(of: [String].self) { group in
            for worker in 0..<16 {
                group.addTask {
                    var ok: [String] = []
                    for i in 0..<400 {
                        let id = "w\(worker)-\(i)"
                        let body = Webhook.body([Webhook.text("m-\(id)", "load \(id)", eventId: id, at: 1_790_000_000_000)])
                        guard let status = try? await Self.post(body, to: url, timeout: 5) else { break }
                        if status == .ok { ok.append(id) }
                    }
                    return ok
                }
            }
            // Kill the server in the middle of the load.
            group.addTask {
                try? await Task.sleep(for: .milliseconds(700))
                kill(process.processIdentifier, SIGKILL)
                return []
            }
            return await group.reduce(into: [String]()) { $0 += $1 }
        }
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(acknowledged.count > 0, "no request was acknowledged before the kill")

        // The next run takes the inbox over (the kernel let go of the lock), writes a new
        // segment behind whatever the kill tore, and takes redeliveries as duplicates.
        let (again, url2, _) = try Self.startServe(dataDir: dir.file("data"))
        #expect(url2.hasPrefix("http://127.0.0.1:"), "serve must start again after a kill -9")
        let redelivered = Array(acknowledged.prefix(20)).map { id in
            Webhook.body([Webhook.text("m-\(id)", "load \(id)", eventId: id, at: 1_790_000_000_000)])
        }
        let after = Webhook.body([Webhook.text("m-after", "after the restart", eventId: "after", at: 1_790_000_000_000)])
        for body in redelivered + [after] { #expect(try await Self.post(body, to: url2) == .ok) }
        again.terminate()
        again.waitUntilExit()
        #expect(again.terminationStatus == 0)

        // Opening the ledger applies whatever the servers acknowledged but had not applied.
        let ledger = try Ledger.opened(path: dir.file("data/ledger.sqlite3"), policy: .lineDefaults, create: false)
        #expect(try InboxApplier(ledger).size().bodies == 0)
        let counts = try ledger.statusStore.tableCounts()
        #expect(counts["raw_events"] == counts["messages"], "each body's one event applied exactly once")
        #expect((counts["messages"] ?? 0) >= acknowledged.count)
        var missing = 0
        for id in acknowledged where try ledger.searchStore.message(id: "m-\(id)") == nil { missing += 1 }
        #expect(missing == 0, "\(missing) of \(acknowledged.count) acknowledged events were lost")
        #expect(try ledger.searchStore.message(id: "m-after") != nil)
    }

    @Test func aSecondServeOnTheSameDataDirExits4AndTheFirstGoesOn() async throws {
        let dir = TempDir()
        let (first, url, _) = try Self.startServe(dataDir: dir.file("data"))
        #expect(url.hasPrefix("http://127.0.0.1:"))
        let second = try run(CLITests.binary, ["serve", "--port", "0", "--data-dir", dir.file("data"),
                                               "--config", "\(Fixtures.packageRoot)/retention.yaml"],
                             environment: ["TALKVAULT_CHANNEL_SECRET": ServerHarness.secret])
        #expect(second.status == 4)
        #expect(second.stderr.contains("another talkvault serve owns"))
        let body = Webhook.body([Webhook.text("m1", "hello", eventId: "e1", at: 1_790_000_000_000)])
        #expect(try await Self.post(body, to: url) == .ok)
        first.terminate()
        first.waitUntilExit()
        #expect(first.terminationStatus == 0)
        let ledger = try Ledger.opened(path: dir.file("data/ledger.sqlite3"), policy: .lineDefaults, create: false)
        #expect(try ledger.searchStore.message(id: "m1") != nil)
    }
}
