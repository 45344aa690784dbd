import AsyncHTTPClient
import Foundation
import JSON
import LINE
import NIOCore
import NIOHTTP1

/// Where the sender tells the simulator about messages before their webhook goes out.
public protocol MessageRegistry: Sendable {
    func register(messages: [SimulatedMessage], unsends: [(id: String, at: Int64)]) async throws
}

extension SimulatorState: MessageRegistry {
    /// Throws `SimulatorError.unknownChannel` for a message of a channel it does not serve.
    public func register(messages: [SimulatedMessage], unsends: [(id: String, at: Int64)]) async throws {
        if let unknown = unknownChannel(in: messages) { throw SimulatorError.unknownChannel(unknown) }
        register(messages)
        for entry in unsends { unsend(id: entry.id, at: entry.at) }
    }
}

/// A simulator in another process, reached through `POST /admin/messages`.
public struct RemoteRegistry: MessageRegistry {
    let baseURL: String
    let client: HTTPClient

    public init(baseURL: String, client: HTTPClient = .shared) {
        self.baseURL = baseURL
        self.client = client
    }

    public func register(messages: [SimulatedMessage], unsends: [(id: String, at: Int64)]) async throws {
        guard !messages.isEmpty || !unsends.isEmpty else { return }
        let registration = AdminRoutes.Registration(messages: messages, unsends: unsends.map { .init(id: $0.id, at: $0.at) })
        var request = HTTPClientRequest(url: "\(baseURL)/admin/messages")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(registration)))
        let response = try await client.execute(request, timeout: .seconds(30))
        let answer = try await response.body.collect(upTo: 1 << 16)
        guard response.status == .ok else {
            if let refusal = try? JSONDecoder().decode(AdminRoutes.Refusal.self, from: Data(answer.readableBytesView)),
               let unknown = refusal.unknownChannel {
                throw SimulatorError.unknownChannel(unknown)
            }
            throw SimulatorError.registrationFailed(status: Int(response.status.code))
        }
    }
}

/// POSTs a traffic plan to a webhook receiver, signed like LINE does. A delivery the receiver
/// does not answer 2xx is redelivered later with `isRedelivery: true` and the same event ids,
/// as LINE does; `redeliveryRate` also redelivers some that succeeded.
public struct WebhookSender: Sendable {
    public var target: String
    public var signature: WebhookSignature
    public var registry: any MessageRegistry
    public var redeliveryRate: Double
    public var maxAttempts: Int
    public var retryDelay: Duration
    public var concurrency: Int
    public var seed: UInt64
    let client: HTTPClient

    public init(target: String, channelSecret: String, registry: any MessageRegistry, redeliveryRate: Double = 0,
                maxAttempts: Int = 5, retryDelay: Duration = .milliseconds(200), concurrency: Int = 1, seed: UInt64 = 1,
                client: HTTPClient = .shared) {
        self.target = target
        self.signature = WebhookSignature(channelSecret: channelSecret)
        self.registry = registry
        self.redeliveryRate = redeliveryRate
        self.maxAttempts = max(1, maxAttempts)
        self.retryDelay = retryDelay
        self.concurrency = max(1, concurrency)
        self.seed = seed
        self.client = client
    }

    /// A sender for `channel`'s webhooks: each body is signed with its secret.
    public init(target: String, channel: SimulatedChannel, registry: any MessageRegistry, redeliveryRate: Double = 0,
                maxAttempts: Int = 5, retryDelay: Duration = .milliseconds(200), concurrency: Int = 1, seed: UInt64 = 1,
                client: HTTPClient = .shared) {
        self.init(target: target, channelSecret: channel.channelSecret, registry: registry, redeliveryRate: redeliveryRate,
                  maxAttempts: maxAttempts, retryDelay: retryDelay, concurrency: concurrency, seed: seed, client: client)
    }

    /// What a run did.
    public struct Report: Sendable, Codable, Equatable {
        public var deliveries = 0
        public var events = 0
        public var requests = 0
        public var accepted = 0
        /// Attempts the receiver refused (non-2xx) or did not answer.
        public var failedAttempts = 0
        /// Redeliveries after a failure.
        public var redeliveries = 0
        /// Redeliveries of deliveries that had succeeded (`redeliveryRate`).
        public var extraRedeliveries = 0
        /// Deliveries still refused after `maxAttempts`.
        public var gaveUp = 0

        public init() {}

        /// Adds another send's figures (another channel's) to these.
        public mutating func add(_ other: Report) {
            deliveries += other.deliveries
            events += other.events
            requests += other.requests
            accepted += other.accepted
            failedAttempts += other.failedAttempts
            redeliveries += other.redeliveries
            extraRedeliveries += other.extraRedeliveries
            gaveUp += other.gaveUp
        }

        enum CodingKeys: String, CodingKey {
            case deliveries, events, requests, accepted, failedAttempts = "failed_attempts", redeliveries
            case extraRedeliveries = "extra_redeliveries", gaveUp = "gave_up"
        }
    }

    public func send(_ plan: TrafficPlan) async throws -> Report {
        var report = Report()
        report.deliveries = plan.deliveries.count
        report.events = plan.deliveries.reduce(0) { $0 + $1.events.count }
        var retries: [(index: Int, attempt: Int)] = []
        // Deliveries go out in plan order, `concurrency` at a time.
        for start in stride(from: 0, to: plan.deliveries.count, by: concurrency) {
            let indices = Array(start..<min(plan.deliveries.count, start + concurrency))
            for index in indices {
                let delivery = plan.deliveries[index]
                try await registry.register(messages: delivery.registrations, unsends: delivery.unsends)
            }
            let outcomes = await withTaskGroup(of: (Int, Bool).self) { group in
                for index in indices {
                    group.addTask { (index, await post(plan.body(of: plan.deliveries[index]))) }
                }
                return await group.reduce(into: [(Int, Bool)]()) { $0.append($1) }
            }
            for (index, ok) in outcomes.sorted(by: { $0.0 < $1.0 }) {
                report.requests += 1
                if ok {
                    report.accepted += 1
                    var rng = SeededGenerator(seed: seed, "redeliver", String(index))
                    if rng.chance(redeliveryRate) {
                        report.requests += 1
                        report.extraRedeliveries += 1
                        _ = await post(plan.body(of: plan.deliveries[index], redelivery: true))
                    }
                } else {
                    report.failedAttempts += 1
                    retries.append((index, 1))
                }
            }
        }
        // LINE redelivers failed requests later, so they arrive after newer ones.
        while !retries.isEmpty {
            try await Task.sleep(for: retryDelay)
            var next: [(index: Int, attempt: Int)] = []
            for (index, attempt) in retries {
                report.requests += 1
                report.redeliveries += 1
                if await post(plan.body(of: plan.deliveries[index], redelivery: true)) {
                    report.accepted += 1
                } else {
                    report.failedAttempts += 1
                    if attempt + 1 >= maxAttempts { report.gaveUp += 1 } else { next.append((index, attempt + 1)) }
                }
            }
            retries = next
        }
        return report
    }

    /// What LINE's console sends when its Verify button is pressed: a signed body with no events
    /// for `destination`. True when the receiver answered 2xx.
    public func verify(destination: String) async -> Bool {
        let body = JSONValue.object(["destination": .string(destination), "events": .array([])])
        return await post(Data(body.canonicalJSON().utf8))
    }

    /// POSTs one signed body; true on a 2xx answer.
    func post(_ body: Data) async -> Bool {
        var request = HTTPClientRequest(url: target)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        request.headers.add(name: "x-line-signature", value: signature.sign(body))
        request.headers.add(name: "User-Agent", value: "LineBotWebhook/2.0")
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await client.execute(request, timeout: .seconds(10))
            _ = try await response.body.collect(upTo: 1 << 20)
            return (200..<300).contains(Int(response.status.code))
        } catch {
            return false
        }
    }
}
