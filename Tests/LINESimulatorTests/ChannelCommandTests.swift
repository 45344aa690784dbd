import AsyncHTTPClient
import Crypto
import Foundation
import LINE
@testable import LINESimulator
import TalkVaultDomain
import Testing
import TestSupport

/// `line-simulator serve --channel` and `send --channel`, run as the built binary.
@Suite struct ChannelCommandTests {
    /// The built `line-simulator`, beside the test bundle; nil when it was not built.
    static let binary: String? = {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("line-simulator").path
        for candidate in [beside, "\(Fixtures.packageRoot)/.build/debug/line-simulator"]
        where FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        return nil
    }()

    /// Starts `serve` with its stderr in `stderr`; returns the process and the base URL it printed.
    static func serve(_ arguments: [String], stderr: String) throws -> (Process, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary!)
        process.arguments = ["serve", "--port", "0"] + arguments
        let out = Pipe()
        process.standardOutput = out
        _ = FileManager.default.createFile(atPath: stderr, contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderr))
        try process.run()
        return (process, firstLine(of: out))
    }

    static func lines(_ path: String) throws -> [[String: Any]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    @Test(.enabled(if: binary != nil, "line-simulator is not built"))
    func serveAndSendAChannel() async throws {
        let dir = TempDir()
        let secrets = ["operator-token-7f3a9c", "operator-secret-5b2e1d"]
        let (process, url) = try Self.serve(["--seed", "7", "--transcode-seconds", "0", "--access-token", secrets[0],
                                             "--channel-secret", secrets[1], "--channel", "shop-a", "--channel", "shop-b"],
                                            stderr: dir.file("serve.err"))
        defer { if process.isRunning { process.terminate(); process.waitUntilExit() } }
        #expect(url.hasPrefix("http://127.0.0.1:"))
        var info = HTTPClientRequest(url: url + "/v2/bot/info")
        info.headers.add(name: "Authorization", value: "Bearer simulator-access-token-shop-a")
        let answer = try await HTTPClient.shared.execute(info, timeout: .seconds(30))
        let bot = try JSONSerialization.jsonObject(with: Data(try await answer.body.collect(upTo: 1 << 16).readableBytesView)) as? [String: Any]
        #expect(bot?["userId"] as? String == Shops.a.destination)

        let recorder = SignatureRecorder()
        let (target, receiver) = try await startRecorder(recorder)
        let send = ["send", "--target", target, "--simulator", url, "--messages", "12", "--seed", "5", "--content-seed", "7",
                    "--period", "2d"]
        let sentA = try #require(try await runAwaiting(Self.binary!, send + ["--channel", "shop-a", "--ground-truth", dir.file("a.jsonl")], deadlineSeconds: 300))
        #expect(sentA.status == 0, "\(sentA.stderr)")
        let received = await recorder.received
        #expect(!received.isEmpty)
        let key = SymmetricKey(data: Data("simulator-channel-secret-shop-a".utf8))
        for (body, signature) in received {
            #expect(signature == Data(HMAC<SHA256>.authenticationCode(for: body, using: key)).base64EncodedString())
            #expect(try WebhookParser.parse(body).destination == Shops.a.destination)
        }
        let truthA = try Self.lines(dir.file("a.jsonl"))
        #expect(truthA.count == 12 && truthA.allSatisfy { $0["channel"] as? String == "shop-a" })

        // The same seed for shop-b: other ids, its own secret and bot.
        let sentB = try #require(try await runAwaiting(Self.binary!, send + ["--channel", "shop-b", "--ground-truth", dir.file("b.jsonl")], deadlineSeconds: 300))
        #expect(sentB.status == 0, "\(sentB.stderr)")
        let truthB = try Self.lines(dir.file("b.jsonl"))
        #expect(Set(truthA.compactMap { $0["id"] as? String }).isDisjoint(with: truthB.compactMap { $0["id"] as? String }))
        let bBodies = await recorder.received.dropFirst(received.count)
        #expect(!bBodies.isEmpty)
        let keyB = SymmetricKey(data: Data("simulator-channel-secret-shop-b".utf8))
        for (body, signature) in bBodies {
            #expect(signature == Data(HMAC<SHA256>.authenticationCode(for: body, using: keyB)).base64EncodedString())
            #expect(try WebhookParser.parse(body).destination == Shops.b.destination)
        }

        // An explicit secret wins over the channel's.
        let before = await recorder.received.count
        let explicit = try #require(try await runAwaiting(Self.binary!, send + ["--seed", "6", "--messages", "2", "--channel", "shop-a",
                                                                  "--channel-secret", "explicit-secret"], deadlineSeconds: 300))
        #expect(explicit.status == 0, "\(explicit.stderr)")
        let explicitKey = SymmetricKey(data: Data("explicit-secret".utf8))
        let explicitBodies = await recorder.received.dropFirst(before)
        #expect(!explicitBodies.isEmpty)
        for (body, signature) in explicitBodies {
            #expect(signature == Data(HMAC<SHA256>.authenticationCode(for: body, using: explicitKey)).base64EncodedString())
        }

        // A channel the simulator does not serve is named, and the run fails.
        let stray = try #require(try await runAwaiting(Self.binary!, send + ["--channel", "shop-c"], deadlineSeconds: 300))
        #expect(stray.status != 0)
        #expect(stray.stderr.contains("shop-c") && stray.stderr.contains("--channel"))

        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let stderr = try String(contentsOfFile: dir.file("serve.err"), encoding: .utf8)
        for secret in secrets { #expect(!stderr.contains(secret)) }
        await receiver.stop()
    }

    @Test(.enabled(if: binary != nil, "line-simulator is not built"))
    func badChannelNamesAreUsageErrors() throws {
        for arguments in [["serve", "--channel", "Shop_A"], ["serve", "--channel", "default"], ["serve", "--channel", "-a"],
                          ["serve", "--channel", "a", "--channel", "a"],
                          ["send", "--target", "http://127.0.0.1:9/webhook", "--simulator", "http://127.0.0.1:9", "--channel", "A"]] {
            let result = try #require(try run(Self.binary!, arguments, deadlineSeconds: 60))
            #expect(result.status == 64, "\(arguments)")
            #expect(result.stderr.contains("--channel"), "\(arguments): \(result.stderr)")
        }
        let help = try #require(try run(Self.binary!, ["serve", "--help"], deadlineSeconds: 60))
        #expect(help.stdout.contains("--channel") && help.stdout.contains("simulator-channel-secret-NAME"))
        let sendHelp = try #require(try run(Self.binary!, ["send", "--help"], deadlineSeconds: 60))
        #expect(sendHelp.stdout.contains("--channel"))
    }
}
