import AsyncHTTPClient
import TalkVaultDomain
import Foundation
import NIOCore

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

    /// nil when LINE accepted it, else why not (never the token).
    public func markAsRead(token: String) async -> String? {
        var request = HTTPClientRequest(url: "\(apiBaseURL)/v2/bot/chat/markAsRead")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(accessToken.revealed)")
        request.headers.add(name: "Content-Type", value: "application/json")
        guard let body = try? JSONSerialization.data(withJSONObject: ["markAsReadToken": token]) else { return "cannot encode" }
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await client.execute(request, timeout: .seconds(30))
            _ = try? await response.body.collect(upTo: 64 * 1024)
            return response.status == .ok ? nil : "HTTP \(response.status.code)"
        } catch {
            return "request failed: \(ContentClient.describe(error))"
        }
    }
}
