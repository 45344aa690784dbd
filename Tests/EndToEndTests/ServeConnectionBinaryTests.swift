import Foundation
import Ledger
import LedgerTestSupport
import LINE
import Server
import ServerTestSupport
import Store
import TalkVaultDomain
import Testing
import TestSupport

extension ServeBinaryTests {
    /// The binary under a lowered open-files limit, flooded with idle and slow connections: once
    /// the idle timeout closes them, LINE's request gets its 200.
    @Test func hundredsOfIdleConnectionsUnderALowLimitDoNotLockLINEOut() async throws {
        guard let prlimit = which("prlimit") else {
            Issue.record("prlimit (util-linux) is not installed")
            return
        }
        let dir = TempDir()
        let yaml = try String(contentsOfFile: "\(Fixtures.packageRoot)/retention.yaml", encoding: .utf8)
            .replacingOccurrences(of: "idle_timeout: 60s", with: "idle_timeout: 1s")
        try yaml.write(toFile: dir.file("retention.yaml"), atomically: true, encoding: .utf8)
        let port = try freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: prlimit)
        process.arguments = ["--nofile=128:128", CLITests.binary, "serve", "--port", "\(port)", "--data-dir", dir.file("data"),
                             "--config", dir.file("retention.yaml")]
        var env = ProcessInfo.processInfo.environment
        env["TALKVAULT_CHANNEL_SECRET"] = ServerHarness.secret
        env.removeValue(forKey: "CREDENTIALS_DIRECTORY")
        env.removeValue(forKey: "TALKVAULT_ACCESS_TOKEN")
        process.environment = env
        process.standardOutput = FileHandle.nullDevice
        // Kept: should serve stop under the flood, its last words say why.
        _ = FileManager.default.createFile(atPath: dir.file("serve.err"), contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: dir.file("serve.err")))
        try process.run()
        defer { if process.isRunning { process.terminate(); process.waitUntilExit() } }
        var up = false
        for _ in 0..<300 where !up {
            try await Task.sleep(for: .milliseconds(20))
            up = (try? RawConnection(port: port)) != nil
        }
        #expect(up)
        // Three hundred idle connections and twenty slow ones: more than the process may hold.
        var flood: [RawConnection] = []
        for index in 0..<320 {
            guard let connection = try? RawConnection(port: port) else { continue }
            if index % 16 == 0 { connection.send("POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 900\r\n\r\n{") }
            flood.append(connection)
        }
        #expect(flood.count > 128, "the flood should exceed the server's limit")
        let body = Webhook.body([Webhook.text("m1", "from LINE", eventId: "e1", at: 1_790_000_000_000)])
        var status: Int?
        for _ in 0..<20 where status != 200 {
            status = (try? await ServeBinaryTests.post(body, to: "http://127.0.0.1:\(port)", timeout: 5)).map { Int($0.code) }
        }
        #expect(status == 200, "LINE's request was never answered while the flood held the server's descriptors")
        #expect(process.isRunning, "serve stopped: \(String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: dir.file("serve.err")))) ?? Data(), as: UTF8.self).suffix(2_000))")
        flood.removeAll()
        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let ledger = try Ledger.opened(path: dir.file("data/ledger.sqlite3"), policy: .lineDefaults, create: false)
        #expect(try ledger.searchStore.message(id: "m1") != nil)
    }
}
