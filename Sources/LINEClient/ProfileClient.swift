import AsyncHTTPClient
import Foundation
import TalkVaultDomain

/// LINE's profile API: `GET /v2/bot/profile/{userId}`, and the group and room member profiles,
/// for a sender's display name.
public struct ProfileClient: Sendable {
    let apiBaseURL: String
    let accessToken: Secret
    let client: HTTPClient

    public init(apiBaseURL: String, accessToken: Secret, client: HTTPClient = .shared) {
        self.apiBaseURL = apiBaseURL
        self.accessToken = accessToken
        self.client = client
    }

    /// Why a name could not be had this time: worth another try later.
    public enum Failure: Error, Sendable, Equatable { case status(Int), transport }

    /// The display name of `userId` (as a member of `chat`, for a group or room), or nil when
    /// LINE has no profile (404: blocked, left, or never followed).
    public func displayName(userId: String, in chat: ChatRef?) async -> Result<String?, Failure> {
        let user = userId.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? userId
        let path: String
        switch chat {
        case .some(let chat) where chat.type == .group: path = "/v2/bot/group/\(chat.id)/member/\(user)"
        case .some(let chat) where chat.type == .room: path = "/v2/bot/room/\(chat.id)/member/\(user)"
        default: path = "/v2/bot/profile/\(user)"
        }
        var request = HTTPClientRequest(url: apiBaseURL + path)
        request.headers.add(name: "Authorization", value: "Bearer \(accessToken.revealed)")
        do {
            let response = try await client.execute(request, timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 64 * 1024)
            switch response.status.code {
            case 200:
                struct Profile: Decodable { let displayName: String }
                guard let profile = try? JSONDecoder().decode(Profile.self, from: Data(body.readableBytesView)) else {
                    return .failure(.status(200))
                }
                return .success(profile.displayName)
            case 404: return .success(nil)
            default: return .failure(.status(Int(response.status.code)))
            }
        } catch {
            return .failure(.transport)
        }
    }
}
