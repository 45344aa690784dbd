import AsyncHTTPClient
import Foundation
import Intake
import LINE
import LINEClient
import Logging
import NIOCore
import NIOHTTP1
import Server
import Store
import TalkVaultDomain
import Testing
import TestSupport

/// No secret reaches a description, a dump or a log line, at any log level.
@Suite struct SecretsTests {
    static let secret = "chsecret-7f3a9c1e-distinct"
    static let token = "acctoken-51b2d8e4-distinct"
    static let apiToken = "apitoken-c0ffee42-distinct"

    static func leaks(_ text: String) -> [String] {
        [secret, token, apiToken].filter { text.contains($0) }
    }

    @Test func noTypeThatHoldsASecretPrintsIt() {
        var settings = ServerSettings(channelSecret: Self.secret, ledgerPath: "/nowhere/ledger.sqlite3", policy: .lineDefaults,
                                      timeZone: TimeZone(identifier: "Asia/Tokyo")!,
                                      profiles: .init(apiBaseURL: "http://127.0.0.1:9", accessToken: Self.token))
        settings.apiToken = Secret(Self.apiToken)
        settings.markAsRead = MarkAsReadClient(apiBaseURL: "http://127.0.0.1:9", accessToken: Self.token)
        settings.botInfo = BotInfoClient(apiBaseURL: "http://127.0.0.1:9", accessToken: Self.token)
        let fetcher = ProfileFetcher(settings: settings.profiles!, ledgerPath: settings.ledgerPath, policy: .lineDefaults,
                                     clock: SystemClock(), logger: Logger(label: "test"))
        let values: [Any] = [
            settings, settings.profiles!, fetcher, settings.markAsRead!, settings.botInfo!,
            ContentClient(dataAPIBaseURL: "http://127.0.0.1:9", accessToken: Self.token),
            WebhookSignature(channelSecret: Self.secret), Secret(Self.secret),
        ]
        for value in values {
            let texts = [String(describing: value), String(reflecting: value), "\(value)"]
            for text in texts { #expect(Self.leaks(text).isEmpty, "\(type(of: value)) printed a secret") }
        }
        // Dumps walk every stored property; the clients hold an HTTP client, whose dump is NIO's.
        for value in [settings.profiles! as Any, Secret(Self.token), WebhookSignature(channelSecret: Self.secret)] {
            var dumped = ""
            dump(value, to: &dumped)
            #expect(Self.leaks(dumped).isEmpty, "a dump of \(type(of: value)) printed a secret")
        }
        #expect(Secret(Self.token).revealed == Self.token)
    }

    /// `serve` at every log level, with a channel secret, an access token (the profile fetcher
    /// and read receipts use it against the simulator) and an API token, over a request of each
    /// kind and a shutdown: neither the log nor stdout holds any of them.
    @Test(arguments: ["trace", "debug", "info", "notice", "warning", "error"])
    func serveLogsNoSecretAtAnyLevel(level: String) async throws {
        let dir = TempDir()
        let (simulator, simulatorURL) = try SimulatorBinaryTests.start(["--access-token", Self.token])
        defer { simulator.terminate() }
        let yaml = try String(contentsOfFile: "\(Fixtures.packageRoot)/retention.yaml", encoding: .utf8)
            .replacingOccurrences(of: "https://api.line.me", with: simulatorURL)
            .replacingOccurrences(of: "https://api-data.line.me", with: simulatorURL)
        try yaml.write(toFile: dir.file("retention.yaml"), atomically: true, encoding: .utf8)
        let log = dir.file("serve.log")
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLITests.binary)
        let url = "http://127.0.0.1:\(try freePort())"
        process.arguments = ["serve", "--port", String(url.split(separator: ":").last!), "--log-level", level, "--data-dir", dir.file("data"),
                             "--config", dir.file("retention.yaml")]
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "CREDENTIALS_DIRECTORY")
        env["TALKVAULT_CHANNEL_SECRET"] = Self.secret
        env["TALKVAULT_ACCESS_TOKEN"] = Self.token
        env["TALKVAULT_API_TOKEN"] = Self.apiToken
        process.environment = env
        process.standardOutput = output
        process.standardError = output
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        var ready = false
        for _ in 0..<500 where !ready {
            try await Task.sleep(for: .milliseconds(20))
            ready = (try? await Self.send(.GET, url + "/healthz")) == 200
        }
        #expect(ready, "serve did not start")

        let body = Webhook.body([Webhook.text("m-secret", "本文", eventId: "e-secret", at: 1_790_000_000_000)])
        #expect(try await Self.send(.POST, url + "/webhook", body: body,
                                    headers: ["x-line-signature": WebhookSignature(channelSecret: Self.secret).sign(body)]) == 200)
        let markRead = Data(#"{"message_ids": ["m-secret"], "by": "desk"}"#.utf8)
        #expect(try await Self.send(.POST, url + "/api/v1/mark-read", body: markRead, headers: ["Authorization": "Bearer \(Self.apiToken)"]) == 200)
        #expect(try await Self.send(.POST, url + "/api/v1/mark-read", body: markRead, headers: ["Authorization": "Bearer x\(Self.apiToken)"]) == 401)
        #expect(try await Self.send(.GET, url + "/metrics") == 200)
        try await Task.sleep(for: .milliseconds(300))
        process.terminate()
        process.waitUntilExit()
        try output.close()
        let text = try String(contentsOfFile: log, encoding: .utf8)
        #expect(process.terminationStatus == 0)
        if ["trace", "debug", "info", "notice"].contains(level) { #expect(text.contains("listening on")) }
        #expect(Self.leaks(text).isEmpty, "serve --log-level \(level) logged a secret")
        #expect(!text.contains("本文"), "message text must never be logged")
    }

    static func send(_ method: HTTPMethod, _ url: String, body: Data? = nil, headers: [String: String] = [:]) async throws -> Int {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        _ = try? await response.body.collect(upTo: 1 << 20)
        return Int(response.status.code)
    }
}

