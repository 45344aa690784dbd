import Foundation
import LINE
import Ledger
import Store
import TalkVaultDomain

/// A line of input that was not a webhook body.
public struct RejectedLine: Sendable, Equatable, Codable {
    public var file: String
    public var line: Int
    public var reason: String
}

/// What an ingest run did.
public struct IngestReport: Sendable, Equatable, Codable {
    public var files: [String] = []
    public var bodiesRead = 0
    public var bodiesStored = 0
    public var counts = CaptureCounts()
    public var rejected: [RejectedLine] = []

    public init() {}

    enum CodingKeys: String, CodingKey {
        case files, bodiesRead = "bodies_read", bodiesStored = "bodies_stored", counts, rejected
    }
}

/// Why an ingest run stopped early.
public enum IngestError: Error, Sendable, CustomStringConvertible {
    /// An input could not be opened or read.
    case unreadable(file: String, reason: String)
    /// The ledger write failed; bodies up to `committedThrough` (file, line) are stored.
    case ledger(LedgerError, file: String, firstUnstoredLine: Int)

    public var description: String {
        switch self {
        case .unreadable(let file, let reason): return "\(file): \(reason)"
        case .ledger(let error, let file, let line):
            return "\(error)\nstopped at \(file):\(line); every body before that line is stored, none from it on"
        }
    }
}

/// Loads webhook bodies from files into the ledger through `Capturer`, the path `serve` uses.
/// Bodies are committed in batches; a malformed body is rejected alone.
public struct Ingester {
    let capturer: Capturer
    let batchSize: Int
    /// The channel every ingested body is recorded under.
    let channel: String

    public init(capturer: Capturer, batchSize: Int = 500, channel: String = ChannelName.implicit) {
        self.capturer = capturer
        self.batchSize = batchSize
        self.channel = channel
    }

    /// Ingests the file at `path`, or standard input for `-`.
    public func ingest(path: String, into report: inout IngestReport) throws(IngestError) {
        let name = path == "-" ? "<stdin>" : path
        let fd: Int32
        if path == "-" {
            fd = 0
        } else {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                throw .unreadable(file: name, reason: "is a directory")
            }
            fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw .unreadable(file: name, reason: String(cString: strerror(errno))) }
        }
        defer { if fd != 0 { close(fd) } }
        report.files.append(name)

        var reader = BodyReader(fileDescriptor: fd)
        var batch: [NumberedBody] = []
        var localReport = report
        func flush() throws(IngestError) {
            guard let firstLine = batch.first?.line else { return }
            let results: [BodyResult]
            do { results = try capturer.capture(batch.map(\.data), channel: channel) } catch {
                throw .ledger(error, file: name, firstUnstoredLine: firstLine)
            }
            for (body, result) in zip(batch, results) {
                switch result {
                case .stored(let counts):
                    localReport.bodiesStored += 1
                    localReport.counts.add(counts)
                case .rejected(let error):
                    localReport.rejected.append(RejectedLine(file: name, line: body.line, reason: error.description))
                }
            }
            batch.removeAll(keepingCapacity: true)
        }
        do {
            try reader.forEach { body in
                localReport.bodiesRead += 1
                batch.append(body)
                if batch.count >= batchSize { try flush() }
            }
            try flush()
        } catch let error as IngestError {
            report = localReport
            throw error
        } catch {
            report = localReport
            throw .unreadable(file: name, reason: String(describing: error))
        }
        report = localReport
    }
}
