import Foundation
import Gzip
import Testing
import TestSupport

@Suite struct GzipTests {
    let dir = TempDir()

    /// Several MB mixing compressible text and incompressible bytes, deterministic.
    static func sample(megabytes: Int) -> [UInt8] {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var bytes: [UInt8] = []
        bytes.reserveCapacity(megabytes << 20)
        let line = Array("2026-11-22 10:00:00 予約できますか? Hello, world\n".utf8)
        while bytes.count < megabytes << 20 {
            for _ in 0..<512 { bytes.append(contentsOf: line) }
            for _ in 0..<8_192 {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                bytes.append(UInt8(truncatingIfNeeded: state >> 33))
            }
        }
        return bytes
    }

    @Test func crc32MatchesTheStandardCheckValue() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
    }

    @Test func aSeveralMegabyteRoundTripIsExactAndReadableByGzip() throws {
        let input = Self.sample(megabytes: 6)
        var compressed: [UInt8] = []
        let writer = try GzipWriter(level: 6) { compressed.append(contentsOf: $0) }
        // Feed in uneven pieces, as a stream would arrive.
        var offset = 0
        var piece = 1
        while offset < input.count {
            let end = min(input.count, offset + piece)
            try input[offset..<end].withUnsafeBytes { try writer.write($0) }
            offset = end
            piece = piece * 3 + 7
        }
        let member = try writer.finishMember()
        #expect(member.inputBytes == UInt64(input.count))
        #expect(member.outputBytes == UInt64(compressed.count))
        #expect(member.crc32 == CRC32.checksum(input))
        #expect(compressed.count < input.count)

        var output: [UInt8] = []
        let reader = try GzipReader(bufferSize: 4096) { output.append(contentsOf: $0) }
        for chunk in stride(from: 0, to: compressed.count, by: 10_007) {
            try compressed[chunk..<min(compressed.count, chunk + 10_007)].withUnsafeBytes { try reader.feed($0) }
        }
        try reader.finish()
        #expect(output == input)

        let path = dir.file("sample.gz")
        try Data(compressed).write(to: URL(fileURLWithPath: path))
        let gzip = try #require(which("gzip"))
        #expect(try run(gzip, ["-t", path]).status == 0)
        let unpacked = try run(gzip, ["-dc", path])
        #expect(unpacked.status == 0)
    }

    @Test func concatenatedMembersInflateAsOneStream() throws {
        var stream: [UInt8] = []
        let writer = try GzipWriter(level: 0) { stream.append(contentsOf: $0) }
        var offsets: [Int] = []
        for part in ["first member\n", "二番目\n", "third\n"] {
            offsets.append(stream.count)
            try writer.write(Array(part.utf8))
            try writer.finishMember()
        }
        #expect(String(decoding: try Gzip.decompress(stream), as: UTF8.self) == "first member\n二番目\nthird\n")
        // Any member inflates alone from its offset: what archive reads rely on.
        let second = try Gzip.decompress(Array(stream[offsets[1]..<offsets[2]]))
        #expect(String(decoding: second, as: UTF8.self) == "二番目\n")
        let path = dir.file("members.gz")
        try Data(stream).write(to: URL(fileURLWithPath: path))
        #expect(try run(try #require(which("gzip")), ["-t", path]).status == 0)
    }

    @Test func aFlippedByteIsDetected() throws {
        let input = Self.sample(megabytes: 1)
        var compressed = try Gzip.compress(input)
        compressed[compressed.count / 2] ^= 0x40
        #expect(throws: GzipError.self) { _ = try Gzip.decompress(compressed) }
    }

    @Test func aWrongTrailerChecksumIsDetected() throws {
        var compressed = try Gzip.compress(Array("hello hello hello".utf8))
        compressed[compressed.count - 6] ^= 0x01 // inside the CRC-32 trailer
        #expect(throws: GzipError.corrupt(detail: "incorrect data check")) { _ = try Gzip.decompress(compressed) }
    }

    @Test func aTruncatedStreamIsDetected() throws {
        let compressed = try Gzip.compress(Self.sample(megabytes: 1))
        #expect(throws: GzipError.truncated) { _ = try Gzip.decompress(Array(compressed.dropLast(100))) }
        #expect(throws: GzipError.truncated) { _ = try Gzip.decompress([UInt8]()) }
    }

    @Test func garbageAfterAMemberIsDetected() throws {
        let compressed = try Gzip.compress(Array("ok".utf8)) + Array("not gzip".utf8)
        #expect(throws: GzipError.self) { _ = try Gzip.decompress(compressed) }
    }
}
