import AsyncHTTPClient
import TalkVaultDomain
import Foundation

/// `GET /v2/bot/info`: the account's `markAsReadMode` (`auto` or `manual`) and its bot user id.
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
        await info()?.markAsReadMode
    }

    /// What `/v2/bot/info` says.
    public struct Info: Sendable, Equatable {
        /// The bot's user id: the `destination` of its webhooks.
        public var userId: String?
        public var markAsReadMode: String?
    }

    /// The bot's info, or nil when LINE could not be asked.
    public func info() async -> Info? {
        var request = HTTPClientRequest(url: "\(apiBaseURL)/v2/bot/info")
        request.headers.add(name: "Authorization", value: "Bearer \(accessToken.revealed)")
        guard let response = try? await client.execute(request, timeout: .seconds(30)), response.status == .ok,
              let body = try? await response.body.collect(upTo: 64 * 1024),
              let json = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] else { return nil }
        return Info(userId: json["userId"] as? String, markAsReadMode: json["markAsReadMode"] as? String)
    }
}
