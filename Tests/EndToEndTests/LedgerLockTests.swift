import Intake
import Foundation
import InboxLog
import Ledger
import Store
import TalkVaultDomain
import Testing
import LedgerTestSupport
import ServerTestSupport
import TestSupport

/// Nobody waits on the ledger's write lock who need not: reading commands take none, and
/// `serve`'s answers never wait for it, not even while a first `find` builds its index.
@Suite struct LedgerLockTests {
    /// A data dir with `count` text messages captured and none indexed for `find`, plus one
    /// acknowledged body not yet applied (what a stopped `serve` leaves).
    static func store(_ dir: TempDir, count: Int) throws -> String {
        let dataDir = dir.file("data")
        let ledger = try Ledger.opened(path: dataDir + "/ledger.sqlite3", policy: .lineDefaults)
        let capturer = Capturer(ledger: ledger, clock: FixedClock(LedgerHarness.now))
        for first in stride(from: 0, to: count, by: 500) {
            let bodies = (first..<min(first + 500, count)).map { n in
                Webhook.body([Webhook.text("m\(n)", "予約 \(n) の件です", eventId: "e\(n)", at: 1_790_000_000_000 + Int64(n))])
            }
            _ = try capturer.capture(bodies)
        }
        let log = try InboxLogWriter(directory: InboxApplier(ledger).directory, applied: try ledger.inboxStore.inboxPosition())
        try log.append([Webhook.body([Webhook.text("pending", "未適用", eventId: "e-pending", at: 1_790_000_000_000)])],
                       receivedAt: LedgerHarness.now, autoRead: false)
        log.close()
        return dataDir
    }

    @Test func readingCommandsWorkWhileAnotherProcessHoldsTheWriteLock() throws {
        let dir = TempDir()
        let dataDir = try Self.store(dir, count: 50)
        let holder = try SQLiteHolder(path: dataDir + "/ledger.sqlite3")
        defer { holder.release() }
        let cli = CLITests()
        let config = ["--data-dir", dataDir, "--config", "\(Fixtures.packageRoot)/retention.yaml"]
        let status = try cli.talkvault(["status", "--json"] + config)
        #expect(status.status == 0, "\(status.stderr)")
        let inbox = (try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])?["inbox"] as? [String: Any]
        #expect(inbox?["pending_bodies"] as? Int == 1, "the unapplied body is reported, not applied")
        // The first find builds its index, in its own database.
        let found = try cli.talkvault(["find", "--text", "予約", "--count"] + config)
        #expect(found.status == 0, "\(found.stderr)")
        #expect(found.stdout == "50\n")
        #expect(try cli.talkvault(["find", "--user", "Uuser1", "--count"] + config).stdout == "50\n")
        #expect(try cli.talkvault(["show", "m7"] + config).status == 0)
        #expect(try cli.talkvault(["verify"] + config).status == 0)
        holder.release()
        // A writing command applies the pending body; find sees it once indexed.
        #expect(try cli.talkvault(["pack"] + config).status == 0)
        #expect(try cli.talkvault(["find", "--text", "未適用", "--count"] + config).stdout == "1\n")
    }

    /// Reading commands open the ledger read-only: they neither migrate nor apply the inbox,
    /// and leave the ledger's bytes (and its WAL) and the inbox log as they found them. `find`
    /// writes only its own search index, a database of its own.
    @Test func readingCommandsWriteNothingToTheLedgerOrTheInbox() throws {
        let dir = TempDir()
        let dataDir = try Self.store(dir, count: 20)
        let watched = try FileManager.default.subpathsOfDirectory(atPath: dataDir)
            .filter { !$0.hasSuffix("-shm") && !$0.contains("-search") }
            .filter { var isDir: ObjCBool = false; return FileManager.default.fileExists(atPath: dataDir + "/" + $0, isDirectory: &isDir) && !isDir.boolValue }
        #expect(watched.contains("ledger.sqlite3"))
        let before = dir.file("before")
        try FileManager.default.createDirectory(atPath: before, withIntermediateDirectories: true)
        for (n, path) in watched.enumerated() { try FileManager.default.copyItem(atPath: dataDir + "/" + path, toPath: before + "/\(n)") }
        let cli = CLITests()
        let config = ["--data-dir", dataDir, "--config", "\(Fixtures.packageRoot)/retention.yaml"]
        for command in [["status", "--json"], ["find", "--text", "予約", "--count"], ["find", "--user", "Uuser1"], ["show", "m7"],
                        ["verify"], ["sweep", "--dry-run"]] {
            let run = try cli.talkvault(command + config)
            #expect(run.status == 0, "\(command): \(run.stderr)")
        }
        for (n, path) in watched.enumerated() {
            #expect(FileManager.default.contentsEqual(atPath: before + "/\(n)", andPath: dataDir + "/" + path), "\(path) changed")
        }
        #expect(FileManager.default.fileExists(atPath: dataDir + "/ledger.sqlite3-search"), "find built its own index")
    }

    /// Windows changed in the config: a reader cannot recompute the deadlines, so it says the
    /// ones it shows are old; the next command that writes recomputes them and the warning goes.
    @Test func aReaderWarnsOfDeadlinesComputedWithOtherWindows() throws {
        let dir = TempDir()
        let dataDir = try Self.store(dir, count: 3)
        let shipped = try String(contentsOfFile: "\(Fixtures.packageRoot)/retention.yaml", encoding: .utf8)
        let changed = dir.write("changed.yaml", shipped.replacingOccurrences(of: "\n  text: 1y\n", with: "\n  text: 30d\n"))
        let cli = CLITests()
        let before = try cli.talkvault(["status", "--data-dir", dataDir, "--config", changed])
        #expect(before.status == 0, "\(before.stderr)")
        #expect(before.stderr.contains("warning: the ledger's deadlines were computed with other windows"), "\(before.stderr)")
        #expect(try cli.talkvault(["pack", "--data-dir", dataDir, "--config", changed]).status == 0)
        let after = try cli.talkvault(["status", "--data-dir", dataDir, "--config", changed])
        #expect(after.status == 0 && !after.stderr.contains("warning"), "\(after.stderr)")
    }

    /// Steady requests to the built `serve` while a first `find` indexes 20,000 messages and
    /// then another process holds the ledger's write lock for four seconds: every answer is a
    /// 200, and none waits seconds (the bound is a hang guard, far above a normal answer).
    @Test func noAnswerWaitsWhileAFindBuildsItsIndexOrAWriterHoldsTheLock() async throws {
        let dir = TempDir()
        let dataDir = try Self.store(dir, count: 20_000)
        let (process, url, _) = try ServeBinaryTests.startServe(dataDir: dataDir)
        defer { if process.isRunning { process.terminate(); process.waitUntilExit() } }
        #expect(url.hasPrefix("http://127.0.0.1:"))
        // On a thread of its own, with plain sockets: the test's tasks share a few cooperative
        // threads with every other test, which must not be what delays a request.
        let port = Int(url.split(separator: ":").last!)!
        let load = SteadyLoad(port: port)
        load.start()
        let cli = CLITests()
        let config = ["--data-dir", dataDir, "--config", "\(Fixtures.packageRoot)/retention.yaml"]
        let found = try cli.talkvault(["find", "--text", "の件です", "--count"] + config)
        #expect(found.status == 0, "\(found.stderr)")
        #expect(found.stdout == "20000\n")
        let holder = try SQLiteHolder(path: dataDir + "/ledger.sqlite3")
        try await Task.sleep(for: .seconds(4))
        holder.release()
        try await Task.sleep(for: .milliseconds(300))
        let (latencies, failures) = load.stop()
        #expect(failures == 0)
        #expect(latencies.count > 50)
        let worst = latencies.max() ?? 0
        #expect(worst < 2, "an answer waited \(worst) s")
    }
}

/// One signed webhook after another, 10 ms apart, each on a new connection, until stopped;
/// records each answer's latency in seconds.
final class SteadyLoad: @unchecked Sendable {
    private let port: Int
    private let lock = NSLock()
    private var stopping = false
    private var done = false
    private var latencies: [Double] = []
    private var failures = 0

    init(port: Int) { self.port = port }

    func start() {
        Thread.detachNewThread { [self] in
            var n = 0
            while !lock.withLock({ stopping }) {
                let body = Webhook.body([Webhook.text("live\(n)", "live \(n)", eventId: "live\(n)", at: 1_790_000_000_000)])
                let started = DispatchTime.now().uptimeNanoseconds
                let answer = (try? RawConnection(port: port)).map { connection in
                    connection.send(ServerHarness.signedRequest(body))
                    return connection.receive(seconds: 30).text
                }
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
                lock.withLock {
                    latencies.append(seconds)
                    if answer?.hasPrefix("HTTP/1.1 200") != true { failures += 1 }
                }
                n += 1
                Thread.sleep(forTimeInterval: 0.01)
            }
            lock.withLock { done = true }
        }
    }

    /// Stops and waits for the request in flight; the latencies and the answers that were not 200.
    func stop() -> ([Double], Int) {
        lock.withLock { stopping = true }
        while !lock.withLock({ done }) { Thread.sleep(forTimeInterval: 0.01) }
        return lock.withLock { (latencies, failures) }
    }
}

