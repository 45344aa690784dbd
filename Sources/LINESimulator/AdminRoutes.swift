import Foundation
import Hummingbird

/// `/admin/...`: register messages and unsends, change faults and the clock mid-run, and read
/// the counters. Not part of LINE's API; there for tests, the demo and `line-simulator send`.
enum AdminRoutes {
    struct Registration: Codable, Sendable {
        var messages: [SimulatedMessage]
        var unsends: [Unsend]

        struct Unsend: Codable, Sendable {
            var id: String
            var at: Int64
        }
    }

    /// Why a registration was refused; `unknown_channel` names a channel the simulator does not serve.
    struct Refusal: Codable, Sendable {
        var message: String
        var unknownChannel: String?
        enum CodingKeys: String, CodingKey { case message, unknownChannel = "unknown_channel" }
    }

    struct ClockChange: Codable, Sendable {
        var advanceSeconds: Double
        enum CodingKeys: String, CodingKey { case advanceSeconds = "advance_seconds" }
    }

    static func add(to router: Router<BasicRequestContext>, state: SimulatorState) {
        router.get("/admin/stats") { _, _ in MessagingAPI.json(.ok, await state.stats()) }
        router.get("/admin/faults") { _, _ in MessagingAPI.json(.ok, await state.currentFaults()) }
        router.put("/admin/faults") { request, _ in
            guard let faults: FaultConfig = try await decode(request) else { return badRequest("expected a fault configuration") }
            await state.setFaults(faults)
            return MessagingAPI.json(.ok, faults)
        }
        router.post("/admin/messages") { request, _ in
            guard let registration: Registration = try await decode(request) else {
                return badRequest("expected {\"messages\": [...], \"unsends\": [...]}")
            }
            if let unknown = state.unknownChannel(in: registration.messages) {
                return MessagingAPI.json(.badRequest, Refusal(message: SimulatorError.unknownChannel(unknown).description,
                                                               unknownChannel: unknown))
            }
            await state.register(registration.messages)
            for unsend in registration.unsends { await state.unsend(id: unsend.id, at: unsend.at) }
            return MessagingAPI.json(.ok, ["registered": registration.messages.count, "unsent": registration.unsends.count])
        }
        router.post("/admin/clock") { request, _ in
            guard let change: ClockChange = try await decode(request) else { return badRequest("expected {\"advance_seconds\": N}") }
            await state.advanceClock(seconds: change.advanceSeconds)
            return MessagingAPI.json(.ok, ["now": await state.now()])
        }
    }

    static func decode<T: Decodable>(_ request: Request) async throws -> T? {
        let buffer = try await request.body.collect(upTo: 64 << 20)
        return try? JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
    }

    static func badRequest(_ message: String) -> Response { MessagingAPI.json(.badRequest, ["message": message]) }
}
