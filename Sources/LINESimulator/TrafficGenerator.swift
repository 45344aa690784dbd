import Foundation
import JSON
import TalkVaultDomain

/// Builds realistic LINE webhook traffic: Japanese text with emoji, stickers, locations, single
/// and batched images, videos, audio, files with awkward names, 1:1, group and room chats,
/// edits, unsends, unknown event types, several events per request, out-of-order delivery.
public enum TrafficGenerator {
    public static func plan(_ config: TrafficConfig, simulator: SimulatorConfig) -> TrafficPlan {
        let scope = Scope(seed: config.seed, channel: config.channel.name)
        var rng = scope.generator("traffic")
        let users = (0..<config.users).map { scope.lineId("U", "user", $0) }
        let groups = (0..<config.groups).map { scope.lineId("C", "group", $0) }
        let rooms = (0..<config.rooms).map { scope.lineId("R", "room", $0) }
        let start = config.end.milliseconds - config.period.seconds * 1000
        let span = max(1, config.period.seconds * 1000)

        // Message timestamps, in order.
        var times = (0..<config.messages).map { _ in start + Int64(rng.next() % UInt64(span)) }
        times.sort()

        var timeline: [(at: Int64, event: JSONValue, register: SimulatedMessage?, unsend: (String, Int64)?)] = []
        var messages: [SimulatedMessage] = []
        var index = 0
        while index < times.count {
            let at = times[index]
            let kind = pickKind(&rng, config.kindWeights)
            let (chatType, chatId, source, userId) = pickChat(&rng, users: users, groups: groups, rooms: rooms)
            let setSize = kind == .image && rng.chance(config.imageSetShare) ? 2 + Int(rng.next() % 4) : 1
            let setId = setSize > 1 ? String(format: "%016llX", rng.next()) : nil
            for member in 0..<setSize where index < times.count {
                let id = scope.messageId(index)
                let external = kind.hasContent && kind != .file && rng.chance(config.externalShare)
                let fileName = kind == .file ? awkwardFileName(&rng) : nil
                var sim = SimulatedMessage(
                    id: id, kind: kind, chatType: chatType, chatId: chatId, userId: userId, timestamp: at + Int64(member),
                    size: kind.hasContent ? simulator.sizeRange(for: kind).size(at: rng.unit()) : 0,
                    fileName: fileName, external: external, channel: config.channel.name)
                if kind == .file { sim.size = max(sim.size, 64) }
                var message = messageJSON(&rng, sim, baseURL: config.externalBaseURL)
                sim.markAsReadToken = message["markAsReadToken"]?.stringValue
                if let setId, case .object(var fields) = message {
                    fields["imageSet"] = .object(["id": .string(setId), "index": .int(Int64(member + 1)), "total": .int(Int64(setSize))])
                    message = .object(fields)
                }
                let event = eventJSON(&rng, type: "message", at: sim.timestamp, source: source, extra: ["message": message],
                                      scope: scope, index: timeline.count)
                if rng.chance(config.unsendRate) {
                    let unsendAt = sim.timestamp + 30_000 + Int64(rng.next() % 600_000)
                    sim.unsentAt = unsendAt
                    timeline.append((sim.timestamp, event, sim, nil))
                    let unsend = eventJSON(&rng, type: "unsend", at: unsendAt, source: source,
                                           extra: ["unsend": .object(["messageId": .string(id)])], scope: scope, index: timeline.count)
                    timeline.append((unsendAt, unsend, nil, (id, unsendAt)))
                } else {
                    timeline.append((sim.timestamp, event, sim, nil))
                }
                if kind == .text, chatType != .user, sim.unsentAt == nil, rng.chance(config.editRate) {
                    let editAt = sim.timestamp + 60_000 + Int64(rng.next() % 3_600_000)
                    let edited = JSONValue.object(["id": .string(id), "type": .string("text"),
                                                   "text": .string(sampleText(&rng) + "（編集済み）")])
                    timeline.append((editAt, eventJSON(&rng, type: "messageEdited", at: editAt, source: source,
                                                       extra: ["message": edited], scope: scope, index: timeline.count), nil, nil))
                }
                messages.append(sim)
                index += 1
            }
            if rng.chance(config.unknownEventRate) {
                timeline.append((at + 5, eventJSON(&rng, type: "hologramShared", at: at + 5, source: source,
                                                   extra: ["hologram": .object(["id": .int(Int64(rng.next() % 1000))])],
                                                   scope: scope, index: timeline.count), nil, nil))
            }
            if rng.chance(config.otherEventRate) {
                let type = ["follow", "postback", "join", "videoPlayComplete"][Int(rng.next() % 4)]
                let extra: [String: JSONValue] = type == "postback"
                    ? ["postback": .object(["data": .string("action=reserve&slot=\(rng.next() % 20)")])] : [:]
                timeline.append((at + 7, eventJSON(&rng, type: type, at: at + 7, source: source, extra: extra,
                                                   scope: scope, index: timeline.count), nil, nil))
            }
        }
        timeline.sort { $0.at < $1.at }

        // Batch consecutive events into requests, then let some requests overtake others.
        var deliveries: [Delivery] = []
        var cursor = 0
        while cursor < timeline.count {
            let size = 1 + Int(rng.next() % UInt64(config.maxBatch))
            let slice = timeline[cursor..<min(timeline.count, cursor + size)]
            deliveries.append(Delivery(events: slice.map(\.event), registrations: slice.compactMap(\.register),
                                       unsends: slice.compactMap { $0.unsend.map { (id: $0.0, at: $0.1) } }))
            cursor += size
        }
        var i = 0
        while i + 1 < deliveries.count {
            if rng.chance(config.outOfOrderRate) { deliveries.swapAt(i, i + 1); i += 2 } else { i += 1 }
        }
        return TrafficPlan(deliveries: deliveries, messages: messages, destination: config.channel.destination)
    }

    // MARK: - Pieces

    static func pickKind(_ rng: inout SeededGenerator, _ weights: [MessageKind: Double]) -> MessageKind {
        let kinds = MessageKind.allCases.filter { (weights[$0] ?? 0) > 0 }
        let total = kinds.reduce(0) { $0 + weights[$1]! }
        var draw = rng.unit() * total
        for kind in kinds {
            draw -= weights[kind]!
            if draw < 0 { return kind }
        }
        return kinds.last ?? .text
    }

    static func pickChat(_ rng: inout SeededGenerator, users: [String], groups: [String], rooms: [String])
        -> (ChatType, String, JSONValue, String) {
        let user = users[Int(rng.next() % UInt64(users.count))]
        let roll = rng.unit()
        if roll < 0.2, !groups.isEmpty {
            let group = groups[Int(rng.next() % UInt64(groups.count))]
            return (.group, group, .object(["type": "group", "groupId": .string(group), "userId": .string(user)]), user)
        }
        if roll < 0.25, !rooms.isEmpty {
            let room = rooms[Int(rng.next() % UInt64(rooms.count))]
            return (.room, room, .object(["type": "room", "roomId": .string(room), "userId": .string(user)]), user)
        }
        return (.user, user, .object(["type": "user", "userId": .string(user)]), user)
    }

    static func eventJSON(_ rng: inout SeededGenerator, type: String, at: Int64, source: JSONValue,
                          extra: [String: JSONValue], scope: Scope, index: Int) -> JSONValue {
        var fields: [String: JSONValue] = [
            "type": .string(type), "mode": "active", "timestamp": .int(at), "source": source,
            "webhookEventId": .string(scope.ulid(at: at, index: index)),
            "deliveryContext": .object(["isRedelivery": .bool(false)]),
        ]
        if ["message", "follow", "join", "postback"].contains(type) {
            fields["replyToken"] = .string(String(format: "%016llx%016llx", rng.next(), rng.next()))
        }
        for (key, value) in extra { fields[key] = value }
        return .object(fields)
    }

    static func messageJSON(_ rng: inout SeededGenerator, _ m: SimulatedMessage, baseURL: String) -> JSONValue {
        var fields: [String: JSONValue] = [
            "id": .string(m.id), "type": .string(m.kind == .unknown ? "hologram" : m.kind.rawValue),
            "markAsReadToken": .string(String(format: "mart%016llx", rng.next())),
            "quoteToken": .string(String(format: "q%016llx", rng.next())),
        ]
        let provider: JSONValue = m.external
            ? .object(["type": "external", "originalContentUrl": .string("\(baseURL)/external/content/\(m.id)"),
                       "previewImageUrl": .string("\(baseURL)/external/content/\(m.id)")])
            : .object(["type": "line"])
        switch m.kind {
        case .text: fields["text"] = .string(sampleText(&rng))
        case .sticker:
            fields["packageId"] = .string(String(446 + rng.next() % 10))
            fields["stickerId"] = .string(String(1988 + rng.next() % 40))
            fields["stickerResourceType"] = "STATIC"
            fields["keywords"] = .array([.string("ありがとう"), .string("OK")])
        case .location:
            fields["title"] = "渋谷駅"
            fields["address"] = "〒150-0002 東京都渋谷区渋谷２丁目"
            fields["latitude"] = .double(35.658 + Double(rng.next() % 1000) / 100_000)
            fields["longitude"] = .double(139.701 + Double(rng.next() % 1000) / 100_000)
        case .image: fields["contentProvider"] = provider
        case .video, .audio:
            fields["contentProvider"] = provider
            fields["duration"] = .int(Int64(1_000 + rng.next() % 120_000))
        case .file:
            fields["fileName"] = .string(m.fileName ?? "file.bin")
            fields["fileSize"] = .int(m.size)
        case .unknown: fields["hologram"] = .object(["frames": .int(24)])
        }
        return .object(fields)
    }

    static let phrases = [
        "予約できますか？", "明日の15時は空いていますか", "ありがとうございます😊", "了解しました！", "料金を教えてください",
        "写真を送ります📷", "キャンセルをお願いします", "Can I change my booking?", "駐車場はありますか🚗", "よろしくお願いします🙇",
        "領収書をください", "今向かっています🏃‍♀️", "👍", "本日はお休みですか？", "在庫はありますか",
    ]

    static func sampleText(_ rng: inout SeededGenerator) -> String {
        (0..<(1 + Int(rng.next() % 3))).map { _ in phrases[Int(rng.next() % UInt64(phrases.count))] }.joined(separator: " ")
    }

    /// File names that a receiver must not trust as paths.
    static let fileNames = [
        "見積書 2026年11月.pdf", "receipt.pdf", "report final (1).pdf", "メモ.txt", "data.csv", "photo.jpg", "scan.png",
        "../../etc/passwd", "..\\..\\windows\\system.ini", "/absolute/path.txt", "contract.docx", "archive.zip",
        String(repeating: "とても長いファイル名", count: 20) + ".pdf", "spaces   in   name .txt", "tab\tand\nnewline.txt",
        ".hidden", "CON.txt", "名前に/スラッシュ.pdf",
    ]

    static func awkwardFileName(_ rng: inout SeededGenerator) -> String {
        fileNames[Int(rng.next() % UInt64(fileNames.count))]
    }

    /// Where generated ids and choices come from: the seed and, for any channel but the default
    /// one, the channel's name (the default channel's are those of a seed before channels).
    struct Scope: Sendable {
        var seed: UInt64
        var channel: String

        private var labels: [String] { channel == SimulatedChannel.defaultName ? [] : [channel] }

        func generator(_ purpose: String, _ more: String...) -> SeededGenerator {
            SeededGenerator(seed: seed, labels: [purpose] + more + labels)
        }

        func lineId(_ prefix: String, _ label: String, _ n: Int) -> String {
            var rng = generator(label, String(n))
            return prefix + String(format: "%016llx%016llx", rng.next(), rng.next())
        }

        /// 18-digit numeric ids like LINE's, unique per seed and index: the default channel's
        /// start with 4, other channels' with 5 and ten digits of their name and seed.
        func messageId(_ index: Int) -> String {
            guard !labels.isEmpty else {
                return String(format: "4%05llu%012d", SeededGenerator.mix(seed, ["ids"]) % 100_000, index)
            }
            return String(format: "5%010llu%07d", SeededGenerator.mix(seed, ["ids"] + labels) % 10_000_000_000, index)
        }

        /// A ULID: 48 bits of time and 80 bits drawn from the seed, in Crockford base32.
        func ulid(at ms: Int64, index: Int) -> String {
            let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
            var rng = generator("ulid", String(index))
            var out: [Character] = []
            var time = UInt64(max(0, ms))
            for _ in 0..<10 { out.insert(alphabet[Int(time & 31)], at: 0); time >>= 5 }
            var random = rng.next()
            for i in 0..<16 {
                if i == 12 { random = rng.next() }
                out.append(alphabet[Int(random & 31)])
                random >>= 5
            }
            return String(out)
        }
    }
}
