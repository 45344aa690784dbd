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
import ServerTestSupport
import ServiceLifecycle
import Store
import TalkVaultDomain
import Testing
import TestSupport

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
