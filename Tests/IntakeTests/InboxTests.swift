import Intake
import Foundation
import InboxLog
import LINE
import Ledger
import Store
import SQLiteDB
import Server
import TalkVaultDomain
import Testing
import LedgerTestSupport
import TestSupport

/// The webhook inbox: what `serve` commits before its 200, and how it reaches the message tables.
@Suite struct InboxTests {
    static let tokyo = TimeZone(identifier: "Asia/Tokyo")!

    func body(_ n: Int, text: String = "hello") -> Data {
        Webhook.body([Webhook.text("m\(n)", "\(text) \(n)", eventId: "e\(n)", at: 1_790_000_000_000 + Int64(n))])
    }

    /// Appends bodies to the ledger's inbox log as `serve` does, then lets go of the log.
    static func enqueue(_ ledger: Ledger, _ bodies: [Data], autoRead: Bool = false,
                        settings: InboxLogWriter.Settings = InboxLogWriter.Settings(segmentBytes: 1 << 20)) throws {
        let log = try InboxLogWriter(directory: InboxApplier(ledger).directory, applied: try ledger.inboxStore.inboxPosition(), settings: settings)
        try log.append(bodies, receivedAt: LedgerHarness.now, autoRead: autoRead)
        log.close()
    }

    @Test func appliedBodiesEndExactlyAsCapturedOnes() throws {
        let direct = try LedgerHarness()
        let bodies = [try Fixtures.uniqueConformanceData(), try Fixtures.conformanceData(), try Fixtures.uniqueConformanceData()]
        for body in bodies { try direct.capture(body) }

        let dir = TempDir()
        let path = dir.file("ledger.sqlite3")
        let ledger = try Ledger.opened(path: path, policy: .lineDefaults, applyingInbox: false)
        try Self.enqueue(ledger, bodies + [bodies[0]], autoRead: false)
        #expect(try InboxApplier(ledger).size().bodies == 4)
        #expect(try ledger.statusStore.tableCounts()["messages"] == 0, "nothing is applied before the apply")
        let applied = try InboxApplier(ledger).applyAll(chunk: 3)
        #expect(applied.bodies == 4)
        #expect(applied.bytes == (bodies + [bodies[0]]).reduce(0) { $0 + $1.count })
        #expect(applied.counts.duplicateEvents > 0, "the repeated body is a redelivery, not new events")
        #expect(try InboxApplier(ledger).size().bodies == 0)
        #expect(try ledger.statusStore.tableCounts() == (try direct.ledger.statusStore.tableCounts()))
        #expect(try InboxApplier(ledger).apply().bodies == 0)
    }

    @Test func openingTheLedgerAppliesWhatServeLeftBehind() throws {
        let dir = TempDir()
        let path = dir.file("ledger.sqlite3")
        do {
            let ledger = try Ledger.opened(path: path, policy: .lineDefaults, applyingInbox: false)
            try Self.enqueue(ledger, [body(1), body(2)], autoRead: true)
        }
        let reopened = try Ledger.opened(path: path, policy: .lineDefaults, create: false)
        #expect(try InboxApplier(reopened).size().bodies == 0)
        let message = try #require(try reopened.searchStore.detail(id: "m2"))
        #expect(message.found.row.text == "hello 2")
        #expect(message.found.row.readAt == LedgerHarness.now, "the auto-read flag travels with the body")
    }

    @Test func aBodyTheFullParseRefusesIsKeptNotDropped() throws {
        let dir = TempDir()
        let ledger = try Ledger.opened(path: dir.file("ledger.sqlite3"), policy: .lineDefaults, applyingInbox: false)
        try Self.enqueue(ledger, [body(1), Data("{\"events\": [1]}".utf8), body(2)], autoRead: false)
        let applied = try InboxApplier(ledger).apply()
        #expect(applied.bodies == 3)
        #expect(applied.rejected == 1)
        #expect(applied.counts.newMessages == 2)
        #expect(try InboxApplier(ledger).size().bodies == 0)
        #expect(try ledger.inboxStore.inboxRejected().oldest == [InboxRejection(receivedAt: LedgerHarness.now, problem: "events[0] is not an object",
                                                              bytes: 15)])
    }

    @Test func aBodyTheSchemaRefusesIsSetAsideWithoutBlockingTheRest() throws {
        let dir = TempDir()
        let path = dir.file("ledger.sqlite3")
        let ledger = try Ledger.opened(path: path, policy: .lineDefaults, applyingInbox: false)
        // Stands in for any row the schema refuses: a constraint failure inside one body.
        try Database(path: path).execute("""
            CREATE TRIGGER poison BEFORE INSERT ON messages WHEN new.text = 'poison 2' BEGIN SELECT RAISE(ABORT, 'refused'); END
            """)
        try Self.enqueue(ledger, [body(1), body(2, text: "poison"), body(3)], autoRead: false)
        let applied = try InboxApplier(ledger).apply()
        #expect(applied.bodies == 3)
        #expect(applied.rejected == 1)
        #expect(applied.counts.newMessages == 2)
        #expect(try InboxApplier(ledger).size().bodies == 0)
        let counts = try ledger.statusStore.tableCounts()
        #expect(counts["raw_events"] == 2, "nothing of the refused body stays behind")
        #expect(counts["messages"] == 2)
        let rejected = try ledger.inboxStore.inboxRejected().oldest
        #expect(rejected.count == 1)
        #expect(rejected.first?.problem.hasPrefix("the ledger refused its rows") == true)
        #expect(rejected.first?.problem.contains("poison") == false, "no message text in the reason")
    }

    @Test func anApplyEndsEarlyWhenAsked() throws {
        let dir = TempDir()
        let ledger = try Ledger.opened(path: dir.file("ledger.sqlite3"), policy: .lineDefaults, applyingInbox: false)
        try Self.enqueue(ledger, (1...5).map { body($0) }, autoRead: false)
        #expect(try InboxApplier(ledger).apply(limit: 100, yield: { true }).bodies == 1)
        #expect(try InboxApplier(ledger).apply(limit: 2).bodies == 2)
        #expect(try InboxApplier(ledger).size().bodies == 2)
    }

    func committer(_ dir: TempDir, _ settings: GroupCommitter.Settings,
                   onCommit: @escaping @Sendable (GroupCommitter.CommitSummary) -> Void = { _ in }) throws -> (GroupCommitter, String) {
        let path = dir.file("ledger.sqlite3")
        let ledger = try Ledger.opened(path: path, policy: .lineDefaults, applyingInbox: false)
        let log = try InboxLogWriter(directory: InboxApplier(ledger).directory, applied: try ledger.inboxStore.inboxPosition(),
                                     settings: InboxLogWriter.Settings(segmentBytes: 1 << 20))
        let committer = GroupCommitter(capturer: Capturer(ledger: ledger, clock: FixedClock(LedgerHarness.now)), log: log, settings: settings,
                                       onCommit: onCommit)
        committer.start()
        return (committer, path)
    }

    /// Which thread each commit ran on, and its bodies, in commit order.
    final class Commits: @unchecked Sendable {
        private let lock = NSLock()
        private var seen: [(onCaller: Bool, bodies: Int)] = []
        func add(_ commit: GroupCommitter.CommitSummary) { lock.withLock { seen.append((commit.onCaller, commit.bodies)) } }
        var all: [(onCaller: Bool, bodies: Int)] { lock.withLock { seen } }
    }

    @Test(arguments: [true, false])
    func oneRequestAtATimeCommitsOnItsOwnThreadUnlessTurnedOff(_ onCaller: Bool) async throws {
        let dir = TempDir()
        let commits = Commits()
        var settings = GroupCommitter.Settings()
        settings.commitOnCaller = onCaller
        // No apply between requests, which would compete for the CPU.
        settings.applyIdleMilliseconds = 60_000
        let (committer, path) = try committer(dir, settings, onCommit: commits.add)
        for n in 1...12 { #expect(try await committer.submit(body(n)).get() == ()) }
        #expect(commits.all.count == 12)
        #expect(commits.all.allSatisfy { $0.onCaller == onCaller && $0.bodies == 1 })
        // Named from inside each thread, once it has run: polled.
        var names = Set(WALCheckpointerTests.threadNames())
        for _ in 0..<200 where !names.isSuperset(of: ["tv-writer", "tv-applier"]) {
            try await Task.sleep(for: .milliseconds(10))
            names = Set(WALCheckpointerTests.threadNames())
        }
        #expect(names.isSuperset(of: ["tv-writer", "tv-applier"]), "named for top and perf")
        await committer.shutdown()
        #expect(try appliedMessages(path) == 12)
    }

    @Test func concurrentRequestsAllLandOnceWhicheverThreadCommitsThem() async throws {
        let dir = TempDir()
        let commits = Commits()
        let (committer, path) = try committer(dir, GroupCommitter.Settings(), onCommit: commits.add)
        let results = await withTaskGroup(of: Bool.self) { group in
            for n in 1...80 { group.addTask { (try? await committer.submit(self.body(n)).get()) != nil } }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.count == 80 && results.allSatisfy { $0 })
        #expect(commits.all.reduce(0) { $0 + $1.bodies } == 80, "every body in exactly one commit")
        #expect(commits.all.filter(\.onCaller).allSatisfy { $0.bodies == 1 })
        await committer.waitUntilApplied()
        #expect(try appliedMessages(path) == 80)
        await committer.shutdown()
    }

    func appliedMessages(_ path: String) throws -> Int {
        try Ledger.opened(path: path, policy: .lineDefaults, create: false, applyingInbox: false).statusStore.tableCounts()["messages"] ?? -1
    }

    @Test func theWriterAppliesOnceRequestsAreQuiet() async throws {
        let dir = TempDir()
        let (committer, path) = try committer(dir, GroupCommitter.Settings())
        for n in 1...30 { #expect(try await committer.submit(body(n)).get() == ()) }
        await committer.waitUntilApplied()
        #expect(committer.backlog == 0)
        #expect(try appliedMessages(path) == 30)
        await committer.shutdown()
    }

    @Test func atItsBoundTheBacklogStopsGrowing() async throws {
        let dir = TempDir()
        var settings = GroupCommitter.Settings()
        settings.maxBacklogBytes = 1          // any backlog is at the bound
        settings.applyIdleMilliseconds = 60_000 // so only the bound makes the writer apply
        let (committer, path) = try committer(dir, settings)
        for n in 1...20 {
            _ = try await committer.submit(body(n)).get()
            #expect(committer.backlog <= 1, "each commit waits for the apply of the one before")
        }
        #expect(try appliedMessages(path) >= 19)
        await committer.shutdown()
    }

    @Test func shutdownAppliesTheBacklog() async throws {
        let dir = TempDir()
        var settings = GroupCommitter.Settings()
        settings.applyIdleMilliseconds = 60_000
        let (committer, path) = try committer(dir, settings)
        for n in 1...25 { _ = try await committer.submit(body(n)).get() }
        #expect(try appliedMessages(path) == 0, "a minute of quiet has not passed")
        #expect(committer.backlog == 25)
        await committer.shutdown()
        #expect(try appliedMessages(path) == 25)
        if case .success = await committer.submit(body(99)) { Issue.record("a stopped writer must refuse new bodies") }
    }
}
