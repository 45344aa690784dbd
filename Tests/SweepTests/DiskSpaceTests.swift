import AsyncHTTPClient
import Intake
import Foundation
@testable import LINESimulator
import LINEClient
@testable import Ledger
import Logging
import NIOCore
@testable import Packing
@testable import Sweep
import Store
import TalkVaultDomain
import Testing
import LedgerTestSupport
import PackingTestSupport
import SweepTestSupport
import TestSupport

/// A disk of `capacity` bytes that holds only the files under `roots`: free space is what they
/// leave. Downloads and packs change it as they would on a real disk.
struct SimulatedDisk: DiskSpace {
    let roots: [String]
    let capacity: Int64

    func used() -> Int64 {
        var total: Int64 = 0
        for root in roots {
            guard let files = FileManager.default.enumerator(atPath: root) else { continue }
            while let name = files.nextObject() as? String {
                let size = (try? FileManager.default.attributesOfItem(atPath: root + "/" + name)[.size] as? NSNumber)??.int64Value
                total += size ?? 0
            }
        }
        return total
    }

    func availableBytes(at path: String) -> Int64? { max(0, capacity - used()) }
}

/// A disk whose free space never changes.
struct FixedDisk: DiskSpace {
    let available: Int64
    func availableBytes(at path: String) -> Int64? { available }
}

/// Real files whose writes fail with ENOSPC once `room` bytes are written.
struct FullDiskFiles: DownloadFiles {
    let room: Int

    func create(_ path: String) throws(DownloadWriteError) -> any DownloadFile {
        FillingFile(try LocalDownloadFiles().create(path), room: room)
    }

    final class FillingFile: DownloadFile {
        let file: any DownloadFile
        var room: Int

        init(_ file: any DownloadFile, room: Int) {
            self.file = file
            self.room = room
        }

        func write(_ bytes: UnsafeRawBufferPointer) throws(DownloadWriteError) {
            guard bytes.count <= room else { throw DownloadWriteError(code: ENOSPC) }
            room -= bytes.count
            try file.write(bytes)
        }

        func sync() throws(DownloadWriteError) { try file.sync() }
        func close() { file.close() }
    }
}

/// Every download written to /dev/full, whose writes the kernel answers ENOSPC.
struct DevFullFiles: DownloadFiles {
    func create(_ path: String) throws(DownloadWriteError) -> any DownloadFile { try LocalDownloadFiles().create("/dev/full") }

    static var usable: Bool { FileManager.default.isWritableFile(atPath: "/dev/full") }
}

/// A sweep keeps room to pack what it staged, a pack takes what fits, and a full disk is named
/// as such, without spending LINE requests on it.
@Suite struct DiskSpaceTests {
    @Test func aDownloadMayStartOnlyIfEverythingStagedStillPacksWithTheReserveToSpare() {
        let reserve = DiskReserve(reserveBytes: 100, packHeadroomBytes: 10)
        #expect(reserve.allowsDownload(availableBytes: 1_000, stagedBytes: 0, nextBytes: 0))
        #expect(reserve.allowsDownload(availableBytes: 1_000, stagedBytes: 400, nextBytes: 250))
        #expect(!reserve.allowsDownload(availableBytes: 1_000, stagedBytes: 400, nextBytes: 251))
        #expect(!reserve.allowsDownload(availableBytes: 499, stagedBytes: 400, nextBytes: 0))
        #expect(!DiskReserve(reserveBytes: 1 << 50).allowsDownload(availableBytes: .max, stagedBytes: .max, nextBytes: .max))
        #expect(reserve.allowsPacking(availableBytes: 100, bytes: 90))
        #expect(!reserve.allowsPacking(availableBytes: 100, bytes: 91))
    }

    static func staged(_ h: SweepHarness) throws -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: h.dir.file("staging"))) ?? [])
    }

    /// Four workers check the free space at once: each takes its room (the Content-Length LINE
    /// gives, images and videos included) before it writes, so together they never stage more
    /// than the space left beyond the reserve.
    @Test func downloadsInFlightTakeTheirRoomSoWorkersCannotShareIt() async throws {
        let h = try await SweepHarness.start(messages: 120, transcodeFailureRate: 0, seed: 41)
        let reserve: Int64 = 1_000_000, room: Int64 = 120_000
        let report = try await h.sweeper(concurrency: 4, disk: FixedDisk(available: reserve + room), diskReserveBytes: reserve)
            .run(SweepOptions(pack: false))
        #expect(report.downloaded > 0 && report.leftForDiskSpace > 0, "\(report)")
        #expect(report.bytes <= room, "staged \(report.bytes) bytes where \(room) were free beyond the reserve")
        #expect(report.stoppedForDiskSpace)
        await h.simulator.stop()
    }

    @Test func aNearlyFullDiskStopsDownloadsAndEverythingStagedIsPacked() async throws {
        let h = try await SweepHarness.start(messages: 120, transcodeFailureRate: 0, seed: 37)
        // The reserve covers the pack's headroom, and what downloads of unknown size (images,
        // videos) can add past the last check: two workers, 80 KB at most each, and the records.
        let reserve: Int64 = DiskReserve.defaultPackHeadroomBytes + 1_000_000
        let disk = SimulatedDisk(roots: [h.dir.file("staging"), h.dir.file("archive")], capacity: reserve + 600_000)
        let report = try await h.sweeper(concurrency: 2, disk: disk, diskReserveBytes: reserve).run(SweepOptions())
        #expect(report.stoppedForDiskSpace && report.needsDiskSpace, "\(report)")
        #expect(report.downloaded > 0 && report.leftForDiskSpace > 0, "\(report)")
        // What was staged all went into the archive, records included, and the disk never overflowed.
        #expect(report.packedContent == report.downloaded && report.unpackedForDiskSpace == 0, "\(report)")
        #expect(report.packedRecords > report.packedContent)
        #expect(try Self.staged(h).isEmpty)
        #expect(disk.used() <= disk.capacity)
        // Items left for space are still due: the next run with room takes them.
        let ledger = try Ledger.opened(path: h.ledgerPath, policy: .lineDefaults, create: false)
        #expect(try ledger.contentQueue.dueContent(limit: nil, kinds: [], until: nil).count >= report.leftForDiskSpace)
        let metrics = SweepMetricsFile.render(report, finishedAtSeconds: 0, nextDeadlineSeconds: nil)
        #expect(metrics.contains("talkvault_sweep_stopped_for_disk_space 1.0"))
        #expect(metrics.contains("talkvault_sweep_disk_space_left_items{step=\"download\"} \(Double(report.leftForDiskSpace))"))
        await h.simulator.stop()
    }

    @Test func aFullDiskDuringADownloadIsNamedAndNotRetriedAgainstLINE() async throws {
        let h = try await SweepHarness.start(messages: 60, transcodeFailureRate: 0, seed: 41)
        let report = try await h.sweeper(concurrency: 1, files: FullDiskFiles(room: 100)).run(SweepOptions(pack: false))
        #expect(report.stoppedForDiskSpace, "\(report)")
        #expect(report.downloaded == 0 && report.retried == 0 && report.leftForNextRun == 0, "\(report)")
        #expect(report.leftForDiskSpace == report.planned - report.lost.values.reduce(0, +) - report.unsent, "\(report)")
        // One body was served, met the full disk, and nothing more was asked of LINE.
        let stats = await h.simulator.state.stats()
        #expect(SweepHarness.contentAnswers(stats, status: 200) == 1)
        let ledger = try Ledger.opened(path: h.ledgerPath, policy: .lineDefaults, create: false)
        #expect(try ledger.db.scalar("SELECT count(*) FROM message_history WHERE what = 'download retried'") == 0)
        #expect(try Self.staged(h).isEmpty, "no partial download is left behind")
        await h.simulator.stop()
    }

    @Test(.enabled(if: DevFullFiles.usable, "/dev/full is not writable here"))
    func aWriteThatTheKernelAnswersENOSPCIsADiskFull() async throws {
        let h = try await SweepHarness.start(messages: 40, transcodeFailureRate: 0, seed: 43)
        let ledger = try Ledger.opened(path: h.ledgerPath, policy: .lineDefaults, create: false)
        let now = SystemClock().now()
        let item = try #require(try ledger.contentQueue.dueContent(limit: nil, kinds: [], until: nil).first {
            $0.provider == "line" && $0.kind == .file && $0.deadline > now
        })
        let client = ContentClient(dataAPIBaseURL: h.simulator.baseURL, accessToken: h.config.accessToken, files: DevFullFiles())
        #expect(await client.download(id: item.id, externalURL: nil, to: h.dir.file("unused")) == .diskFull(afterBytes: 0))

        let report = try await h.sweeper(concurrency: 1, files: DevFullFiles()).run(SweepOptions(pack: false))
        #expect(report.stoppedForDiskSpace && report.retried == 0 && report.downloaded == 0, "\(report)")
        #expect(SweepHarness.contentAnswers(await h.simulator.state.stats(), status: 200) == 2)
        await h.simulator.stop()
    }

    @Test func aPackOnANearlyFullDiskPacksTheRecordsAndTheContentThatFits() throws {
        var h = try PackHarness()
        try h.fill(texts: 50)
        let tight = Packer(stores: h.ledger.stores, settings: h.packer().settings, clock: FixedClock(LedgerHarness.now),
                           disk: FixedDisk(available: DiskReserve.defaultPackHeadroomBytes + 4_500))
        let first = try tight.pack()
        // The 5,004-byte image and the 9,000-byte video do not fit; everything else does.
        #expect(first.leftForSpace == ["mi0", "mv1"])
        #expect(first.contentEntries == 3 && first.records == 53)
        #expect(try h.count("SELECT count(*) FROM messages WHERE state = 'downloaded'") == 2)
        #expect(FileManager.default.fileExists(atPath: h.base.dir.file("staged-mi0")))
        // With room again, the rest is packed.
        let second = try h.packer().pack()
        #expect(second.leftForSpace.isEmpty && second.contentEntries == 2)
        #expect(try h.count("SELECT count(*) FROM messages WHERE state = 'downloaded'") == 0)
    }

}
