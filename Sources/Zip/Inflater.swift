import CTalkVaultZlib
import Gzip

/// Streams one entry's bytes out of the file: inflated (raw deflate, no zlib or gzip wrapper)
/// or stored, with the size and CRC-32 checked against what the central directory declares.
/// Every turn of its loops takes input, gives output, or ends, so no input can make it spin.
final class EntryStream {
    private let file: FileBytes
    private let entry: ZipEntry
    // Raw buffers, not arrays: zlib holds pointers into `input` across calls that refill it.
    private let input: UnsafeMutableRawBufferPointer
    private let output: UnsafeMutableRawBufferPointer
    /// Compressed bytes not yet read from the file.
    private var unread: UInt64
    private var produced: UInt64 = 0
    private var crc = CRC32()

    init(file: FileBytes, entry: ZipEntry, bufferSize: Int = 64 * 1024) {
        self.file = file
        self.entry = entry
        input = .allocate(byteCount: bufferSize, alignment: 16)
        output = .allocate(byteCount: bufferSize, alignment: 16)
        unread = entry.compressedSize
    }

    deinit {
        input.deallocate()
        output.deallocate()
    }

    /// Hands every byte to `sink`, then checks the size and CRC-32. Throws `Refusal` for the
    /// zip's faults, and whatever `sink` throws.
    func run(_ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        if entry.method == 0 {
            while unread > 0 {
                let count = try fill()
                try deliver(UnsafeRawBufferPointer(rebasing: input[0..<count]), sink)
            }
        } else {
            try inflate(sink)
        }
        guard produced == entry.uncompressedSize else {
            throw Refusal(.uncompressedSizeShort(declared: entry.uncompressedSize, actual: produced))
        }
        guard crc.value == entry.crc32 else { throw Refusal(.crcMismatch(expected: entry.crc32, actual: crc.value)) }
    }

    /// Reads the next piece of the entry's compressed bytes into `input`; never past them.
    private func fill() throws(Refusal) -> Int {
        let want = Int(min(UInt64(input.count), unread))
        let at = entry.dataOffset + (entry.compressedSize - unread)
        let got = try file.read(into: UnsafeMutableRawBufferPointer(rebasing: input[0..<want]), at: at).get()
        // The headers were checked against the file's size, so only a file changed under us ends early.
        guard got == want else { throw Refusal(.entryDataPastEnd) }
        unread -= UInt64(got)
        return got
    }

    private func deliver(_ bytes: UnsafeRawBufferPointer, _ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard !bytes.isEmpty else { return }
        produced += UInt64(bytes.count)
        crc.update(bytes)
        try sink(bytes)
    }

    private func inflate(_ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // Negative window bits: raw deflate, as zip stores it.
        let rc = ctv_inflateInit2(stream, -15)
        guard rc == Z_OK else {
            stream.deallocate()
            throw Refusal(.unreadable(detail: "zlib could not start inflating (code \(rc))"))
        }
        defer {
            inflateEnd(stream)
            stream.deallocate()
        }
        while true {
            if stream.pointee.avail_in == 0 && unread > 0 {
                let count = try fill()
                stream.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_in = uInt(count)
            }
            let availableBefore = stream.pointee.avail_in
            // Room for one byte past the declared size at most: enough to see a bomb that
            // lies about its size, never enough to let it run.
            let room = Int(min(UInt64(output.count), entry.uncompressedSize - produced + 1))
            stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = uInt(room)
            let code = CTalkVaultZlib.inflate(stream, Z_NO_FLUSH)
            let made = room - Int(stream.pointee.avail_out)
            if produced + UInt64(made) > entry.uncompressedSize {
                throw Refusal(.uncompressedSizeExceeded(declared: entry.uncompressedSize))
            }
            try deliver(UnsafeRawBufferPointer(rebasing: output[0..<made]), sink)
            switch code {
            case Z_STREAM_END:
                guard stream.pointee.avail_in == 0 && unread == 0 else { throw Refusal(.trailingCompressedData) }
                return
            case Z_OK, Z_BUF_ERROR:
                let consumed = stream.pointee.avail_in < availableBefore
                if consumed || made > 0 { continue }
                // No progress: with input left that is zlib stuck; with none, the stream
                // wants bytes beyond the entry's compressed size.
                if stream.pointee.avail_in == 0 && unread == 0 { throw Refusal(.compressedDataTruncated) }
                throw Refusal(.compressedDataCorrupt(detail: "inflate made no progress"))
            case Z_DATA_ERROR, Z_NEED_DICT:
                let detail = stream.pointee.msg.map { String(cString: $0) } ?? "invalid deflate data"
                throw Refusal(.compressedDataCorrupt(detail: detail))
            default:
                throw Refusal(.unreadable(detail: "zlib error \(code)"))
            }
        }
    }
}
