import AsyncHTTPClient
import TalkVaultDomain
import Foundation
import NIOCore

/// What LINE answered one `markAsRead` call.
public enum MarkAsReadOutcome: Sendable, Equatable {
    /// 200: LINE marked the message, and every earlier one in its chat, as read.
    case accepted
    /// LINE refused the call itself: 400, its documented answer for a token it did not issue to
    /// this bot. Sending it again cannot change the answer.
    case refused(String)
    /// Worth another try later: any other answer (a 404 or 405 from a misconfigured
    /// `line.api_base_url` or a proxy, 401/403 about the access token, 408, 429, 5xx), a timeout
    /// or a broken connection.
    case failed(String)
}

/// `POST /v2/bot/chat/markAsRead`: tells LINE a message (and every earlier one in its chat)
/// was read.
public struct MarkAsReadClient: Sendable {
    let apiBaseURL: String
    let accessToken: Secret
    let client: HTTPClient

    public init(apiBaseURL: String, accessToken: String, client: HTTPClient = .shared) {
        self.apiBaseURL = apiBaseURL
        self.accessToken = Secret(accessToken)
        self.client = client
    }

    /// Sends one call. A reason never holds the token.
    public func markAsRead(token: String) async -> MarkAsReadOutcome {
        var request = HTTPClientRequest(url: "\(apiBaseURL)/v2/bot/chat/markAsRead")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(accessToken.revealed)")
        request.headers.add(name: "Content-Type", value: "application/json")
        guard let body = try? JSONSerialization.data(withJSONObject: ["markAsReadToken": token]) else { return .refused("cannot encode the token") }
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await client.execute(request, timeout: .seconds(30))
            let answer = try? await response.body.collect(upTo: 64 * 1024)
            let code = Int(response.status.code)
            if code == 200 { return .accepted }
            let reason = "HTTP \(code)" + (answer.flatMap { Self.message(in: $0, hiding: token) }.map { ": \($0)" } ?? "")
            return Self.isRefusal(code) ? .refused(reason) : .failed(reason)
        } catch {
            return .failed("request failed: \(ContentClient.describe(error))")
        }
    }

    /// LINE's answer about this call's token: only a 400 is final. Anything else may be the
    /// path, the proxy, the access token or the moment, none of which a retry cannot fix.
    static func isRefusal(_ code: Int) -> Bool { code == 400 }

    /// LINE's `message`, cut short, with the token taken out should LINE ever echo it.
    static func message(in buffer: ByteBuffer, hiding token: String) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any],
              let message = object["message"] as? String, !message.isEmpty else { return nil }
        let safe = token.isEmpty ? message : message.replacingOccurrences(of: token, with: "…")
        return safe.count > 160 ? String(safe.prefix(160)) + "…" : safe
    }
}
