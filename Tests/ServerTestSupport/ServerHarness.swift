import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
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
import Store
import TalkVaultDomain
import Testing
import TestSupport

/// `WebhookServer`'s app in this process: by default through HummingbirdTesting's router mode,
/// with no socket; `.live` on a free port, for tests about connections or a real client.
public struct ServerHarness {
    /// How requests reach the app.
    public enum Mode: Sendable {
        /// Straight through the router, with the app's services running: no port.
        case router
        /// A real HTTP server on a free port.
        case live
    }

    public static let secret = "channel_secret"
    public let dir: TempDir
    /// The server's base URL; live mode only.
    public let url: String
    public let metrics: ServerMetrics
    public let ledgerPath: String
    private let client: (any TestClientProtocol)?
    private let task: Task<Void, any Error>
    private let shutdown: @Sendable () async -> Void

    /// - Parameter ledgerPath: a ledger to serve instead of a new one in a new directory.
    public static func start(maxBody: Int = 1 << 20, segmentBytes: Int? = nil, ledgerPath: String? = nil, mode: Mode = .router,
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
        switch mode {
        case .live:
            let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
            let task = Task { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let port = await iterator.next() ?? 0
            return ServerHarness(dir: dir, ledgerPath: settings.ledgerPath, url: "http://127.0.0.1:\(port)", metrics: metrics,
                                 client: nil, task: task, shutdown: { await group.triggerGracefulShutdown() })
        case .router:
            // The test closure holds the app (and its services) until `stop` ends the stream it waits on.
            let (clients, clientContinuation) = AsyncStream.makeStream(of: (any TestClientProtocol).self)
            let (stopped, stop) = AsyncStream.makeStream(of: Void.self)
            let task = Task {
                try await app.test(.router) { client in
                    clientContinuation.yield(client)
                    clientContinuation.finish()
                    for await _ in stopped {}
                }
            }
            var iterator = clients.makeAsyncIterator()
            guard let client = await iterator.next() else {
                try await task.value
                throw CancellationError()
            }
            return ServerHarness(dir: dir, ledgerPath: settings.ledgerPath, url: "", metrics: metrics,
                                 client: client, task: task, shutdown: { stop.finish() })
        }
    }

    private init(dir: TempDir, ledgerPath: String, url: String, metrics: ServerMetrics, client: (any TestClientProtocol)?,
                 task: Task<Void, any Error>, shutdown: @escaping @Sendable () async -> Void) {
        self.dir = dir  // keeps the directory alive as long as the harness
        self.ledgerPath = ledgerPath
        self.url = url
        self.metrics = metrics
        self.client = client
        self.task = task
        self.shutdown = shutdown
    }

    /// `signatureTimes`: how many `x-line-signature` fields carry the signature.
    public func request(_ method: HTTPMethod = .POST, _ path: String = "/webhook", body: Data? = nil, signature: String? = nil,
                        sign: Bool = true, signatureTimes: Int = 1, headers extra: [(String, String)] = []) async throws -> (Int, String) {
        let header = body.flatMap { signature ?? (sign ? WebhookSignature(channelSecret: Self.secret).sign($0) : nil) }
        if let client {
            var headers = HTTPFields()
            for _ in 0..<signatureTimes { if let header { headers.append(HTTPField(name: HTTPField.Name("x-line-signature")!, value: header)) } }
            for (name, value) in extra { headers.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
            let response = try await client.executeRequest(uri: path, method: HTTPRequest.Method(method.rawValue)!, headers: headers,
                                                           body: body.map { ByteBuffer(bytes: $0) })
            return (Int(response.status.code), String(buffer: response.body))
        }
        var request = HTTPClientRequest(url: url + path)
        request.method = method
        if let body {
            request.body = .bytes(ByteBuffer(bytes: body))
            for _ in 0..<signatureTimes { if let header { request.headers.add(name: "x-line-signature", value: header) } }
        }
        for (name, value) in extra { request.headers.add(name: name, value: value) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 1 << 20)))
    }

    /// The ledger's row counts. Opening the ledger applies what the server has not applied yet,
    /// as every command does, so this sees every acknowledged event.
    public func counts() throws -> [String: Int] {
        try Ledger.opened(path: ledgerPath, policy: .lineDefaults, create: false).statusStore.tableCounts()
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

    /// The server's port; live mode only.
    public var port: Int { Int(url.split(separator: ":").last!)! }

    /// Stops the server as SIGTERM does: a graceful shutdown of its service group.
    public func stop() async {
        await shutdown()
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
