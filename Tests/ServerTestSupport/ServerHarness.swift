import AsyncHTTPClient
import Foundation
import Hummingbird
import Intake
import Ledger
import LedgerTestSupport
import LINE
import LINESimulator
import Logging
import NIOCore
import NIOHTTP1
import Server
import ServiceLifecycle
import TalkVaultDomain
import Testing
import TestSupport

/// `WebhookServer`'s app, in this process, on a free port.
public struct ServerHarness {
    public static let secret = "channel_secret"
    public let dir: TempDir
    public let url: String
    public let metrics: ServerMetrics
    public let group: ServiceGroup
    public let task: Task<Void, any Error>
    public let ledgerPath: String

    /// - Parameter ledgerPath: a ledger to serve instead of a new one in a new directory.
    public static func start(maxBody: Int = 1 << 20, segmentBytes: Int? = nil, ledgerPath: String? = nil,
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
    public func request(_ method: HTTPMethod = .POST, _ path: String = "/webhook", body: Data? = nil, signature: String? = nil,
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
    public func counts() throws -> [String: Int] {
        try Ledger.opened(path: ledgerPath, policy: .lineDefaults, create: false).tableCounts()
    }

    /// Waits until the server itself has applied its inbox; false after 10 s.
    public func appliedByTheServer() async throws -> Bool {
        let ledger = try Ledger.opened(path: ledgerPath, policy: .lineDefaults, create: false, applyingInbox: false)
        for _ in 0..<1_000 {
            if try InboxApplier(ledger).size().bodies == 0 { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    public var port: Int { Int(url.split(separator: ":").last!)! }

    /// Stops the server as SIGTERM does: a graceful shutdown of its service group.
    public func stop() async {
        await group.triggerGracefulShutdown()
        _ = await task.result
    }
}

extension ServerHarness {
    /// A webhook request signed with the test secret, as raw HTTP for a plain TCP connection.
    public static func signedRequest(_ body: Data, chunked: Bool = false) -> String {
        let signature = WebhookSignature(channelSecret: ServerHarness.secret).sign(body)
        let text = String(decoding: body, as: UTF8.self)
        if chunked {
            return "POST /webhook HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\nx-line-signature: \(signature)\r\n\r\n"
                + String(body.count, radix: 16) + "\r\n" + text + "\r\n0\r\n\r\n"
        }
        return "POST /webhook HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: \(body.count)\r\nx-line-signature: \(signature)\r\n\r\n" + text
    }
}
