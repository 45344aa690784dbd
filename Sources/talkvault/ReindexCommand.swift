import ArgumentParser
import Foundation
import Ledger
import Store
import Packing

struct ReindexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reindex",
        abstract: "Rebuild a ledger from the archives alone, in a new data dir.",
        discussion: """
        Reads every segment under the current archive dir and writes a new ledger in NEW_DATA_DIR; \
        the current ledger is not read or changed. NEW_DATA_DIR gets a symlink to the archive dir, so \
        `--data-dir NEW_DATA_DIR` works at once for verify, find and restore. Messages that were never \
        archived cannot come back. Exits 65 when a segment could not be read.
        """)

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("to"), help: "The new data dir; it must not hold a ledger yet.")
    var target: String

    func run() throws {
        let config = try global.loadConfig()
        let source = global.paths(config)
        let destination = config.paths(dataDirOverride: target)
        guard !FileManager.default.fileExists(atPath: destination.database) else {
            throw Failure(.usage, "\(destination.database) exists; reindex writes a new ledger and never replaces one")
        }
        do {
            try FileManager.default.createDirectory(atPath: destination.dataDir, withIntermediateDirectories: true)
            if !FileManager.default.fileExists(atPath: destination.archiveDir) {
                try FileManager.default.createSymbolicLink(atPath: destination.archiveDir, withDestinationPath: source.archiveDir)
            }
        } catch {
            throw Failure(.ioError, "cannot prepare \(destination.dataDir): \(error.localizedDescription)")
        }
        let ledger = try Ledger(path: destination.database, policy: config.policy, access: .readWrite(create: true))
        try ledger.migrate()
        let report = try Reindexer(archiveDir: source.archiveDir).run(into: ledger.archiveIndex, now: try global.clock().now())
        print("rebuilt \(destination.database) from \(report.segments) segments: \(report.records) records, \(report.contentEntries) content files")
        for problem in report.problems { print("PROBLEM: \(problem)") }
        if !report.problems.isEmpty { throw Failure(.dataError, "\(report.problems.count) segments could not be read") }
    }
}
