import AsyncHTTPClient
import TalkVaultDomain
import Foundation

/// `GET /v2/bot/info`: the account's `markAsReadMode` (`auto` or `manual`).
public struct BotInfoClient: Sendable {
    let apiBaseURL: String
    let accessToken: Secret
    let client: HTTPClient

    public init(apiBaseURL: String, accessToken: String, client: HTTPClient = .shared) {
        self.apiBaseURL = apiBaseURL
        self.accessToken = Secret(accessToken)
        self.client = client
    }

    /// `auto` or `manual`, or nil when LINE could not be asked.
    public func markAsReadMode() async -> String? {
        var request = HTTPClientRequest(url: "\(apiBaseURL)/v2/bot/info")
        request.headers.add(name: "Authorization", value: "Bearer \(accessToken.revealed)")
        guard let response = try? await client.execute(request, timeout: .seconds(30)), response.status == .ok,
              let body = try? await response.body.collect(upTo: 64 * 1024),
              let json = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] else { return nil }
        return json["markAsReadMode"] as? String
    }
}
