import Archive
import ArgumentParser
import Foundation
import LINESimulator
import TalkVaultDomain
import DurableFile

/// The archive benchmark's tool: generates deterministic mixes of files, packs a directory
/// with the segment writer `talkvault pack` uses, and reads single items by location as
/// `restore` does. `scripts/bench-archive` runs it beside `tar czf` and `tar -xzf`.
@main
struct ArchiveBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "archive-bench", abstract: "Archive benchmark helper (see scripts/bench-archive).",
        subcommands: [Generate.self, Pack.self, Read.self, Store.self])
}

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write a deterministic mix of files into DIR.")
    @Option(help: "text or media") var mix: String
    @Option(help: "Total bytes to write.") var bytes: Int64
    @Option(help: "Seed.") var seed: UInt64 = 1
    @Argument var dir: String

    func run() throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var rng = SplitMix(seed: seed)
        var written: Int64 = 0, index = 0
        if mix == "text" {
            // Chat records as one JSONL, as a segment's messages.jsonl holds them.
            let jsonl = FileHandle(forWritingAtPath: create("\(dir)/messages.jsonl"))!
            let words = ["予約", "確認", "ありがとうございます", "明日", "営業時間", "the order", "shipping", "返品", "😊", "よろしくお願いします"]
            var line = 0
            while written < bytes / 10 {
                let text = (0..<(4 + Int(rng.next() % 20))).map { _ in words[Int(rng.next() % UInt64(words.count))] }.joined(separator: " ")
                let record = #"{"event":{"type":"message","webhookEventId":"01EV\#(line)"},"message":{"chat_id":"C\#(rng.next() % 500)","id":"\#(600000000000 + line)","kind":"text","sender_id":"U\#(rng.next() % 5000)","sent_at_ms":\#(1790000000000 + line * 1000),"state":"archived","text":"\#(text)"}}"# + "\n"
                jsonl.write(Data(record.utf8))
                written += Int64(record.utf8.count)
                line += 1
            }
            try jsonl.close()
        }
        while written < bytes {
            let size: Int64
            let message: SimulatedMessage
            if mix == "text" {
                size = Int64(4_096 + rng.next() % (2 << 20))
                let ext = ["txt", "csv", "log", "md", "pdf"][Int(rng.next() % 5)]
                message = SimulatedMessage(id: "f\(index)", kind: .file, chatType: .user, chatId: "U1", userId: "U1", timestamp: 0,
                                           size: size, fileName: "doc-\(index).\(ext)")
            } else if rng.next() % 20 == 0 {
                size = Int64(4_096 + rng.next() % (256 << 10))
                message = SimulatedMessage(id: "f\(index)", kind: .file, chatType: .user, chatId: "U1", userId: "U1", timestamp: 0,
                                           size: size, fileName: "note-\(index).txt")
            } else {
                let kinds: [MessageKind] = [.image, .image, .image, .video, .audio]
                let kind = kinds[Int(rng.next() % 5)]
                size = kind == .video ? Int64((2 << 20) + rng.next() % (40 << 20)) : Int64((100 << 10) + rng.next() % (4 << 20))
                message = SimulatedMessage(id: "m\(index)", kind: kind, chatType: .user, chatId: "U1", userId: "U1", timestamp: 0, size: size)
            }
            var stream = ContentGenerator.stream(for: message, seed: seed)
            let ext = ["image/jpeg": "jpg", "image/png": "png", "video/mp4": "mp4", "audio/x-m4a": "m4a", "application/pdf": "pdf"][stream.contentType] ?? "txt"
            let name = message.fileName ?? "\(message.kind.rawValue)-\(index).\(ext)"
            let handle = FileHandle(forWritingAtPath: create("\(dir)/\(name)"))!
            while let chunk = stream.next() { handle.write(Data(chunk)) }
            try handle.close()
            written += stream.size
            index += 1
        }
        print("\(index) files, \(written) bytes in \(dir)")
    }

    private func create(_ path: String) -> String {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        return path
    }
}

struct Pack: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Pack every file of DIR into one segment at OUT; write OUT.locations.")
    @Option(help: "zlib level for deflated entries.") var level: Int32 = 6
    @Argument var dir: String
    @Argument var out: String

    func run() throws {
        let started = Date()
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        let directory = (out as NSString).deletingLastPathComponent
        let writer = try SegmentWriter(directory: directory, relativePath: (out as NSString).lastPathComponent, sequence: 1,
                                       createdAtMs: 0, previous: nil,
                                       settings: .init(compression: CompressionPolicy(level: level), toolVersion: "archive-bench"))
        var input: Int64 = 0
        for name in names {
            let path = "\(dir)/\(name)"
            if name.hasSuffix(".jsonl") {
                // Records go in line by line, as `pack` adds them.
                let text = try String(contentsOfFile: path, encoding: .utf8)
                var n = 0
                for line in text.split(separator: "\n") {
                    try writer.addRecord(messageId: "r\(n)", json: Array(line.utf8))
                    n += 1
                }
                input += Int64(text.utf8.count)
                continue
            }
            let type = ["jpg": "image/jpeg", "png": "image/png", "mp4": "video/mp4", "m4a": "audio/x-m4a", "pdf": "application/pdf"][(name as NSString).pathExtension] ?? "text/plain"
            let entry = try writer.addContent(file: path, name: "content/\(name)", originalName: name, messageId: name, contentType: type,
                                              expectedSize: nil, expectedSHA256: nil, mtime: 0)
            input += Int64(entry.size)
        }
        let (manifest, records, _, bytes) = try writer.finish()
        try Durable.publish(temporary: writer.temporaryPath, final: out)
        let seconds = Date().timeIntervalSince(started)
        var locations = ""
        for entry in manifest.entries where entry.messageId != nil {
            let l = manifest.location(of: entry)
            locations += "\(entry.name)\t\(l.memberOffset)\t\(l.memberLength)\t\(l.offsetInMember)\t\(l.length)\t\(l.sha256)\n"
        }
        for record in records.suffix(1000) {
            let l = manifest.location(of: record)
            locations += "record:\(record.messageId)\t\(l.memberOffset)\t\(l.memberLength)\t\(l.offsetInMember)\t\(l.length)\t\(l.sha256)\n"
        }
        try locations.write(toFile: out + ".locations", atomically: true, encoding: .utf8)
        print(String(format: "%.3f %lld %llu", seconds, input, bytes))
    }
}

struct Read: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Read items of OUT by their locations, timing each; prints p50 and p99 ms.")
    @Argument var out: String
    @Argument var names: [String]

    func run() throws {
        let lines = try String(contentsOfFile: out + ".locations", encoding: .utf8).split(separator: "\n")
        var byName: [String: ItemLocation] = [:]
        let segment = (out as NSString).lastPathComponent, directory = (out as NSString).deletingLastPathComponent
        for line in lines {
            let f = line.split(separator: "\t").map(String.init)
            byName[f[0]] = ItemLocation(segment: segment, memberOffset: UInt64(f[1])!, memberLength: UInt64(f[2])!,
                                        offsetInMember: UInt64(f[3])!, length: UInt64(f[4])!, sha256: f[5])
        }
        var times: [Double] = []
        for name in names {
            guard let location = byName[name] else { throw ValidationError("no item \(name)") }
            let started = DispatchTime.now().uptimeNanoseconds
            var bytes: UInt64 = 0
            try SegmentReader.read(location, archiveDir: directory) { bytes += UInt64($0.count) }
            times.append(Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6)
            guard bytes == location.length else { throw ValidationError("short read of \(name)") }
        }
        times.sort()
        let p = { (q: Double) in times[min(times.count - 1, Int(Double(times.count) * q))] }
        print(String(format: "%.3f %.3f", p(0.5), p(0.99)))
    }
}

/// A small deterministic generator for file sizes and names.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
