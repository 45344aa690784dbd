import Foundation
import Intake
import Store
@testable import Ledger
import TalkVaultDomain
import Testing
import LedgerTestSupport
import TestSupport

@Suite struct WALCheckpointerTests {
    private static func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
    }

    /// Polls (the checkpoint runs on its own thread) for at most `seconds`; not a timing assertion.
    private static func eventually(_ seconds: Double = 20, _ condition: () -> Bool) async -> Bool {
        let deadline = Date(timeIntervalSinceNow: seconds)
        while Date() < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }

    /// This process's thread names, as the kernel shows them to `top` and `perf`.
    static func threadNames() -> [String] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.compactMap { try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8) }
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    @Test func committedPagesReachTheDatabaseFileWithoutTheWriterCheckpointing() async throws {
        let dir = TempDir()
        let path = dir.file("ledger.sqlite3")
        let ledger = try Ledger.opened(path: path, policy: .lineDefaults)
        let before = Self.fileSize(path)
        // About 2 MiB: in the WAL only, far below the writer's automatic checkpoint.
        let bodies = (0..<256).map { Data(repeating: UInt8($0 & 0xff), count: 8 * 1024) }
        // The inbox table older versions wrote: any 2 MiB of rows will do.
        try ledger.transaction {
            for body in bodies {
                _ = try ledger.db.run("INSERT INTO webhook_inbox(received_at_ms, auto_read, body) VALUES (1, 0, ?1)", [.blob(Array(body))])
            }
        }
        #expect(Self.fileSize(path) == before, "nothing is checkpointed yet")

        let checkpointer = try WALCheckpointer(path: path, pauseMilliseconds: 1)
        checkpointer.start()
        checkpointer.poke()
        #expect(await Self.eventually { Self.fileSize(path) >= before + 2 * 1024 * 1024 })
        #expect(Self.threadNames().contains("tv-checkpointer"), "named for top and perf")
        checkpointer.stop()
        checkpointer.poke() // after stop: a no-op, not a crash or a hang
        #expect(try InboxApplier(ledger).size().bodies == 256, "the writer's view is unchanged")
    }

    @Test func aMissingLedgerIsRefusedAtStart() {
        let dir = TempDir()
        #expect(throws: LedgerError.self) { try WALCheckpointer(path: dir.file("none.sqlite3")) }
    }
}
