import Foundation

/// Reads a zip from outside (an uploaded chat backup) without trusting it. Everything the central
/// directory says is checked when the reader opens, so a zip is refused whole before any entry is
/// read: names, kinds, encryption, methods, limits, and where every entry's bytes lie. Reading an
/// entry then checks its size and CRC-32 as it streams.
///
/// Zip64, multi-disk, encrypted and non-deflate zips are refused, with a `ZipError` saying why.
public final class ZipReader {
    /// The files in the zip, in central directory order; directory entries are checked but left out.
    public let entries: [ZipEntry]
    private let file: FileBytes
    private let fileName: String
    /// Each entry's index in `entries` by its header offset, to know an entry for one of ours.
    private let indexByOffset: [UInt64: Int]

    /// Opens the zip at `path` and checks all of it but the compressed bytes themselves.
    public init(path: String, limits: ZipLimits = .init()) throws(ZipError) {
        let fileName = URL(fileURLWithPath: path).lastPathComponent
        self.fileName = fileName
        do throws(Refusal) {
            file = try FileBytes(path: path)
            let end = try EndRecord.find(in: file, limits: limits)
            let records = try CentralRecord.readAll(from: file, end: end, limits: limits)
            let located = try LocalHeader.locate(records, in: file, directoryOffset: end.directoryOffset)
            entries = zip(records, located).filter { !$0.0.isDirectory }.map(\.1)
        } catch {
            throw ZipError(refusal: error, file: fileName)
        }
        var indexByOffset: [UInt64: Int] = [:]
        for (index, entry) in entries.enumerated() { indexByOffset[entry.headerOffset] = index }
        self.indexByOffset = indexByOffset
    }

    /// Streams `entry`'s uncompressed bytes to `chunk`, a piece at a time, then checks that they
    /// were exactly the declared size with the declared CRC-32. On a `ZipError` the bytes already
    /// handed over are not the entry's: discard them. Also rethrows what `chunk` throws.
    public func read(_ entry: ZipEntry, chunk: (UnsafeRawBufferPointer) throws -> Void) throws {
        let name = printableName(Array(entry.name.utf8))
        guard let index = indexByOffset[entry.headerOffset], entries[index] == entry else {
            throw ZipError(file: fileName, entry: name, problem: .unknownEntry)
        }
        do {
            try EntryStream(file: file, entry: entry).run(chunk)
        } catch let refusal as Refusal {
            throw ZipError(file: fileName, entry: name, problem: refusal.problem)
        }
    }
}

extension ZipError {
    init(refusal: Refusal, file: String) {
        self.init(file: file, entry: refusal.entry.map(printableName), problem: refusal.problem)
    }
}
