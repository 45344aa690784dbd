import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TalkVaultDomain

/// What a target answered to one post.
public enum RelayAnswer: Sendable, Equatable {
    /// An HTTP status, its body read (at most `RelayTransport.maxAnswerBytes`) and dropped.
    case status(Int)
    /// No answer: refused, reset, timed out, or an answer that could not be read.
    case failed(String)
}

/// Posts one body to a target. A protocol so the relay's rules are tested without a network.
public protocol RelayTransport: Sendable {
    func post(_ body: [UInt8], headers: [(String, String)], to url: String, timeout: RetentionDuration) async -> RelayAnswer
    /// Closes the connections; the relay calls it once, when it stops.
    func shutdown() async
}

/// The transport over HTTP: redirects are not followed (a 3xx is retried), the wait and the
/// read are bounded, and nothing of an answer's body is kept.
public final class HTTPRelayTransport: RelayTransport {
    /// The most of an answer's body that is read; the rest is dropped with the connection.
    public static let maxAnswerBytes = 64 << 10
    private let client: HTTPClient

    public init() {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        configuration.decompression = .disabled
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    public func shutdown() async {
        try? await client.shutdown()
    }

    public func post(_ body: [UInt8], headers: [(String, String)], to url: String, timeout: RetentionDuration) async -> RelayAnswer {
        // One deadline for the whole exchange: AsyncHTTPClient's own ends once the headers are
        // in, and a target that sends headers and then stalls must not hold the relay.
        await withTaskGroup(of: RelayAnswer.self) { group in
            group.addTask { await self.exchange(body, headers: headers, to: url, timeout: timeout) }
            group.addTask {
                try? await Task.sleep(for: .seconds(timeout.seconds))
                return .failed("timed out")
            }
            let first = await group.next() ?? .failed("cancelled")
            group.cancelAll()
            return first
        }
    }

    private func exchange(_ body: [UInt8], headers: [(String, String)], to url: String, timeout: RetentionDuration) async -> RelayAnswer {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await client.execute(request, timeout: .seconds(timeout.seconds))
            // Read a little of the answer, so the connection can be reused; a huge one is cut.
            var read = 0
            for try await chunk in response.body {
                read += chunk.readableBytes
                if read > Self.maxAnswerBytes { break }
            }
            return .status(Int(response.status.code))
        } catch {
            return .failed(Task.isCancelled ? "timed out" : Self.reason(error))
        }
    }

    /// A short reason that names what failed, never a body.
    static func reason(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout: return "timed out"
            case .remoteConnectionClosed: return "the connection was closed"
            default: return "HTTP client error: \(error)"
            }
        }
        if error is CancellationError { return "cancelled" }
        return "\(type(of: error)): \(error)".prefix(200).description
    }
}
