import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// One response, read whole.
struct Reply {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let bytes: [UInt8]

    var text: String { String(decoding: bytes, as: UTF8.self) }
    var location: String? { headers[.location] }
    /// Every `Set-Cookie` line.
    var setCookies: [String] { headers[values: .setCookie] }

    /// The `Set-Cookie` line of cookie `name`, or nil.
    func setCookie(_ name: String) -> String? { setCookies.first { $0.hasPrefix(name + "=") } }

    /// The attributes of cookie `name`'s `Set-Cookie` line, lowercased, value left out.
    func cookieAttributes(_ name: String) -> Set<String> {
        guard let line = setCookie(name) else { return [] }
        return Set(line.split(separator: ";").dropFirst().map { $0.trimmingCharacters(in: .whitespaces).lowercased() })
    }

    /// The first hidden `csrf` field of the page.
    var csrf: String? { Self.firstMatch(#"name="csrf" value="([^"]+)""#, in: text) }

    /// `<html lang="…">`.
    var lang: String? { Self.firstMatch(#"<html lang="([^"]*)""#, in: text) }

    static func firstMatch(_ pattern: String, in text: String) -> String? {
        allMatches(pattern, in: text).first
    }

    static func allMatches(_ pattern: String, in text: String) -> [String] {
        let regex = try! NSRegularExpression(pattern: pattern)
        return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap {
            Range($0.range(at: 1), in: text).map { String(text[$0]) }
        }
    }

    /// Undoes the escaping mustache does, for an attribute's value taken from the page.
    static func unescape(_ text: String) -> String {
        text.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}

/// A browser of sorts: a cookie jar in front of the test client. One per simulated user.
final class Browser {
    let client: any TestClientProtocol
    var cookies: [String: String] = [:]
    /// The session's CSRF token, read from the first page after signing in.
    var csrf = ""

    init(client: any TestClientProtocol) { self.client = client }

    /// Another browser on the same console, with no cookies.
    func fresh() -> Browser { Browser(client: client) }

    @discardableResult
    func request(_ uri: String, method: HTTPRequest.Method, headers: HTTPFields = [:], body: String? = nil) async throws -> Reply {
        var headers = headers
        if !cookies.isEmpty, headers[.cookie] == nil {
            headers[.cookie] = cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")
        }
        if body != nil, headers[.contentType] == nil { headers[.contentType] = "application/x-www-form-urlencoded" }
        let response = try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
        let reply = Reply(status: response.status, headers: response.headers, bytes: Array(buffer: response.body))
        for line in reply.setCookies {
            guard let pair = line.split(separator: ";").first, let equals = pair.firstIndex(of: "=") else { continue }
            let name = String(pair[..<equals]), value = String(pair[pair.index(after: equals)...])
            let attributes = line.lowercased()
            if value.isEmpty || attributes.contains("max-age=0") { cookies[name] = nil } else { cookies[name] = value }
        }
        return reply
    }

    @discardableResult
    func get(_ uri: String, headers: HTTPFields = [:]) async throws -> Reply {
        try await request(uri, method: .get, headers: headers)
    }

    /// A form posted, its fields percent-encoded.
    @discardableResult
    func post(_ uri: String, _ fields: [(String, String)], headers: HTTPFields = [:]) async throws -> Reply {
        try await request(uri, method: .post, headers: headers, body: Self.form(fields))
    }

    static func form(_ fields: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)...Unicode.Scalar(0x7F)))
        allowed.insert(charactersIn: "-._~")
        return fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&")
    }

    /// The sign-in form filled in and posted as a browser would: the login page first (its
    /// cookie and hidden token), then the form. The reply to the POST.
    @discardableResult
    func signIn(_ name: String, password: String = ConsoleFixture.password, next: String? = nil, headers: HTTPFields = [:]) async throws -> Reply {
        let page = try await get("/login", headers: headers)
        let token = try #require(page.csrf, "the login page has a csrf field")
        var fields = [("csrf", token), ("username", name), ("password", password)]
        if let next { fields.append(("next", next)) }
        let reply = try await post("/login", fields, headers: headers)
        if reply.status == .seeOther, cookies["tv_session"] != nil {
            let home = try await get("/")
            csrf = try #require(home.csrf, "a signed-in page carries the session's csrf token")
        }
        return reply
    }
}

extension HTTPField.Name {
    static let forwardedProtoHeader = Self("X-Forwarded-Proto")!
    static let forwardedForHeader = Self("X-Forwarded-For")!
    static let remoteUserHeader = Self("X-Remote-User")!
}

extension HTTPField.Name {
    static let xContentTypeOptionsHeader = Self("X-Content-Type-Options")!
}
