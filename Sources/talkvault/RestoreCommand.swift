import ArgumentParser
import Foundation
import Packing

struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore archived messages into a directory, or one to stdout, checked against their SHA-256.",
        discussion: """
        Each item is read from its segment by offset, inflating only its own gzip members. Content \
        comes back under its original name made safe; text, stickers and locations as ID.txt (the \
        text) and ID.json (the archived record). Nothing is written outside --to, and nothing is \
        replaced without --force. Exits 66 for an unknown or unarchived id, 65 when an archive \
        does not check out.
        """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Message ids.") var ids: [String]
    @Option(help: "The directory to restore into (created if missing).") var to: String?
    @Flag(help: "Write the single item to stdout instead.") var stdout = false
    @Flag(help: "Replace files that exist.") var force = false

    func validate() throws {
        guard !ids.isEmpty else { throw ValidationError("give at least one message id") }
        guard (to == nil) != !stdout else { throw ValidationError("give --to DIR, or --stdout for a single item") }
        if stdout && ids.count > 1 { throw ValidationError("--stdout takes a single id") }
    }

    func run() throws {
        try reportingFailures {
            let config = try global.loadConfig()
            let ledger = try global.openLedger(config, create: false)
            let restorer = Restorer(ledger: ledger, archiveDir: global.paths(config).archiveDir)
            do {
                if stdout {
                    try restorer.stream(id: ids[0]) { FileHandle.standardOutput.write(Data($0)) }
                    return
                }
                for id in ids {
                    for file in try restorer.restore(id: id, to: to!, force: force) { print("\(file.path)\t\(file.bytes) bytes") }
                }
            } catch let error as RestoreError {
                switch error {
                case .unknownMessage, .notArchived: throw Failure(.noInput, error.description)
                case .exists: throw Failure(.ioError, error.description)
                case .io: throw Failure(.ioError, error.description)
                }
            } catch {
                throw Failure(any: error)
            }
        }
    }
}
