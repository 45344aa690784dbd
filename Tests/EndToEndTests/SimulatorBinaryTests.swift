import AsyncHTTPClient
import Crypto
import Foundation
@testable import LINESimulator
import NIOCore
import NIOHTTP1
import TalkVaultDomain
import Testing
import TestSupport

/// Runs the built `line-simulator` binary, as the demo and benchmarks do.
@Suite struct SimulatorBinaryTests {
    static var binary: String {
        URL(fileURLWithPath: CLITests.binary).deletingLastPathComponent().appendingPathComponent("line-simulator").path
    }

    /// Starts `line-simulator serve` and reads the base URL from its first line of output.
    static func start(_ arguments: [String], environment: [String: String] = [:]) throws -> (Process, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--port", "0"] + arguments
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        return (process, firstLine(of: out))
    }

    static func peakRSSKilobytes(of pid: Int32) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }

    @Test func aGigabyteIsServedWithFlatMemoryAndShutdownIsGraceful() async throws {
        // One malloc arena: with one per thread, glibc keeps up to 64 MB of freed buffers in each
        // arena a busy machine's threads touch, and the peak measured the allocator, not the stream.
        let (process, url) = try Self.start(["--transcode-seconds", "0", "--seed", "4"], environment: ["MALLOC_ARENA_MAX": "1"])
        // A failure below must not leave the simulator running.
        defer { if process.isRunning { process.terminate() } }
        #expect(url.hasPrefix("http://127.0.0.1:"))
        let size: Int64 = 1 << 30
        let message = SimulatedMessage(id: "big", kind: .file, chatType: .user, chatId: "U1", userId: "U1",
                                       timestamp: SystemClock().now().milliseconds, size: size, fileName: "backup.bin")
        try await RemoteRegistry(baseURL: url).register(messages: [message], unsends: [])
        let before = try Self.peakRSSKilobytes(of: process.processIdentifier)

        var request = HTTPClientRequest(url: url + "/v2/bot/message/big/content")
        request.headers.add(name: "Authorization", value: "Bearer \(SimulatorConfig.defaultAccessToken)")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(300))
        #expect(response.headers.first(name: "Content-Length") == String(size))
        var hasher = SHA256()
        var received: Int64 = 0
        for try await buffer in response.body {
            buffer.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
            received += Int64(buffer.readableBytes)
        }
        #expect(received == size)
        let peak = try Self.peakRSSKilobytes(of: process.processIdentifier)
        #expect(peak - before < 64 * 1024, "server peak RSS grew by \(peak - before) KB while streaming 1 GB")
        #expect(hasher.finalize().map { String(format: "%02x", $0) }.joined()
                == ContentGenerator.stream(for: message, seed: 4).sha256())

        process.terminate() // SIGTERM
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }

    @Test func helpDocumentsEveryOption() throws {
        let serve = try run(Self.binary, ["serve", "--help"])
        for flag in ["--host", "--port", "--seed", "--access-token", "--channel-secret", "--transcode-seconds", "--window",
                     "--size", "--rate-limit", "--retry-after", "--error-rate", "--latency-ms", "--jitter-ms", "--stall-rate",
                     "--truncate-rate", "--drip-rate", "--mark-as-read-mode", "--expired-status", "--transcode-failure-rate",
                     "simulator-access-token", "simulator-channel-secret"] {
            #expect(serve.stdout.contains(flag), "serve --help lacks \(flag)")
        }
        let send = try run(Self.binary, ["send", "--help"])
        for flag in ["--target", "--simulator", "--messages", "--period", "--redelivery-rate", "--out-of-order-rate",
                     "--unsend-rate", "--edit-rate", "--ground-truth", "--backup", "--backup-truth", "--account-name", "--max-attempts", "--concurrency", "--transcode-failure-rate"] {
            #expect(send.stdout.contains(flag), "send --help lacks \(flag)")
        }
        #expect(try run(Self.binary, ["serve", "--window", "image=0d"]).status == 64)
        #expect(try run(Self.binary, ["serve", "--error-rate", "2"]).status == 64)
    }
}
