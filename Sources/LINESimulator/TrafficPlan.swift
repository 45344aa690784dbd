import Foundation
import JSON
import TalkVaultDomain

/// What traffic to generate. Every choice is drawn from `seed`.
public struct TrafficConfig: Sendable {
    public var seed: UInt64
    /// Message events to generate (edits, unsends and other events come on top).
    public var messages: Int
    /// Messages are spread over `period` before `end`.
    public var end: Instant
    public var period: RetentionDuration
    public var users: Int
    public var groups: Int
    public var rooms: Int
    /// Relative weights of each kind among messages.
    public var kindWeights: [MessageKind: Double]
    /// Share of images sent as an `imageSet` batch of 2 to 5.
    public var imageSetShare: Double
    /// Share of media served from an `external` provider.
    public var externalShare: Double
    public var unsendRate: Double
    /// Share of group and room texts edited later (`messageEdited`).
    public var editRate: Double
    /// Share of deliveries that carry an event of a type LINE has not published.
    public var unknownEventRate: Double
    /// Share of deliveries that carry a follow, join, postback or similar event.
    public var otherEventRate: Double
    /// Events per request, at most.
    public var maxBatch: Int
    /// Share of deliveries that arrive after the one that follows them.
    public var outOfOrderRate: Double
    /// Where `external` content is served: the simulator's base URL.
    public var externalBaseURL: String
    /// The channel the traffic is sent to: its `destination` is every body's, its messages are
    /// registered under its name, and for any channel but the default one its name is drawn into
    /// every id and choice, so two channels with the same seed share no message, user, chat or
    /// event id (the default channel's traffic is what a seed always gave).
    public var channel: SimulatedChannel

    public static let defaultWeights: [MessageKind: Double] = [
        .text: 45, .sticker: 10, .location: 3, .image: 18, .video: 5, .audio: 5, .file: 12, .unknown: 2,
    ]

    public init(seed: UInt64 = 1, messages: Int = 100, end: Instant = SystemClock().now(), period: RetentionDuration = .days(21),
                users: Int = 12, groups: Int = 3, rooms: Int = 1, kindWeights: [MessageKind: Double] = defaultWeights,
                imageSetShare: Double = 0.3, externalShare: Double = 0.05, unsendRate: Double = 0.04, editRate: Double = 0.1,
                unknownEventRate: Double = 0.03, otherEventRate: Double = 0.05, maxBatch: Int = 4, outOfOrderRate: Double = 0.1,
                externalBaseURL: String = "http://127.0.0.1", channel: SimulatedChannel = .defaultChannel) {
        self.seed = seed
        self.messages = messages
        self.end = end
        self.period = period
        self.users = max(1, users)
        self.groups = max(0, groups)
        self.rooms = max(0, rooms)
        self.kindWeights = kindWeights
        self.imageSetShare = imageSetShare
        self.externalShare = externalShare
        self.unsendRate = unsendRate
        self.editRate = editRate
        self.unknownEventRate = unknownEventRate
        self.otherEventRate = otherEventRate
        self.maxBatch = max(1, maxBatch)
        self.outOfOrderRate = outOfOrderRate
        self.externalBaseURL = externalBaseURL
        self.channel = channel
    }
}

/// One webhook request's worth of events, and what the simulator must know before it is sent.
public struct Delivery: Sendable {
    public var events: [JSONValue]
    public var registrations: [SimulatedMessage]
    public var unsends: [(id: String, at: Int64)]
}

/// Generated traffic: deliveries in the order they are sent, and every message generated.
public struct TrafficPlan: Sendable {
    public var deliveries: [Delivery]
    public var messages: [SimulatedMessage]
    public let destination: String

    /// The body of a delivery, with `isRedelivery` set as asked.
    public func body(of delivery: Delivery, redelivery: Bool = false) -> Data {
        let events = redelivery ? delivery.events.map(Self.markRedelivered) : delivery.events
        let body = JSONValue.object(["destination": .string(destination), "events": .array(events)])
        return Data(body.canonicalJSON().utf8)
    }

    static func markRedelivered(_ event: JSONValue) -> JSONValue {
        guard case .object(var fields) = event else { return event }
        fields["deliveryContext"] = .object(["isRedelivery": .bool(true)])
        return .object(fields)
    }

    /// The ground truth for every generated message, as `ground-truth.jsonl` lines.
    /// Content is hashed by streaming it, one message at a time.
    public func writeGroundTruth(to path: String, simulator: SimulatorConfig) throws {
        try Self.writeGroundTruth(of: [self], to: path, simulator: simulator)
    }

    /// The ground truth of several plans (one per channel) in one file, plan after plan.
    public static func writeGroundTruth(of plans: [TrafficPlan], to path: String, simulator: SimulatorConfig) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else { throw CocoaError(.fileWriteUnknown) }
        defer { try? handle.close() }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let state = SimulatorState(config: simulator)
        for message in plans.lazy.flatMap(\.messages) {
            let record = GroundTruthRecord(
                id: message.id, kind: message.kind.rawValue, chatId: message.chatId, timestamp: message.timestamp,
                expiresAt: message.kind.hasContent && !message.external ? state.expiry(of: message) : nil,
                size: message.kind.hasContent ? ContentGenerator.stream(for: message, seed: simulator.seed).size : 0,
                sha256: message.kind.hasContent ? ContentGenerator.stream(for: message, seed: simulator.seed).sha256() : nil,
                unsent: message.unsentAt != nil, fileName: message.fileName, transcode: state.transcodeOutcome(of: message),
                channel: message.channel)
            try handle.write(contentsOf: encoder.encode(record) + Data("\n".utf8))
        }
    }
}
