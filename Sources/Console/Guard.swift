import DurableFile
import Accounts
import Crypto
import Foundation
import HTTPTypes
import Hummingbird

extension Console {
    /// The caller: the session cookie's user, or under `trusted_header` the user the proxy
    /// names. Either must be in the user file now: a user removed is signed out at once.
    func identity(_ request: Request) async throws -> Identity? {
        if let header = settings.trustedHeader {
            guard let field = HTTPField.Name(header), let name = request.headers[field], !name.isEmpty,
                  let user = try await users.user(named: name) else { return nil }
            let mac = HMAC<SHA256>.authenticationCode(for: Data(("csrf:" + user.name).utf8), using: formKey)
            return Identity(name: user.name, role: user.role, csrf: FileDigest.hex(mac))
        }
        guard let token = request.cookies["tv_session"]?.value, let session = await sessions.session(token) else { return nil }
        // A user removed, or whose password changed since this session began, is signed out.
        guard let user = try await users.user(named: session.user), user.passwordChangedAt <= session.createdAt else {
            await sessions.end(token)
            return nil
        }
        return Identity(name: user.name, role: user.role, csrf: session.csrf)
    }

    /// Runs `body` for a caller `allowed` lets in. Without one: a page redirects to /login
    /// (coming back afterwards), a download answers 401; a role not allowed gets 403.
    func guarded(_ request: Request, _ access: Access, allowed: (ConsoleRole) -> Bool = { _ in true },
                 _ body: (Identity) async throws -> Response) async throws -> Response {
        guard let identity = try await identity(request) else {
            switch access {
            case .download:
                var response = Response(status: .unauthorized, body: .init(byteBuffer: .init(string: "sign in first\n")))
                response.headers[.contentType] = "text/plain; charset=utf-8"
                return response
            case .page:
                // Back to the page after sign-in; a form's POST is not repeated.
                guard request.method == .get else { return Self.redirect("/login") }
                let next = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
                return Self.redirect(Self.link("/login", [("next", next)]))
            }
        }
        guard allowed(identity.role) else { return problem(.forbidden, "forbidden", identity: identity, request: request) }
        return try await body(identity)
    }

    /// A form's fields, when its CSRF token is the caller's; nil (and the caller answers 403) otherwise.
    func form(_ request: Request, identity: Identity) async throws -> [String: String]? {
        let fields = try await Self.formFields(request)
        guard let token = fields["csrf"], Token.equal(token, identity.csrf) else { return nil }
        return fields
    }

    /// An `application/x-www-form-urlencoded` body of at most 16 KiB, decoded.
    static func formFields(_ request: Request) async throws -> [String: String] {
        let buffer = try await request.body.collect(upTo: 16 * 1024)
        return fields(String(buffer: buffer))
    }

    /// A GET form's fields, from the query as a browser encodes it (a space as `+`, which
    /// Hummingbird's `queryParameters` leave as it is).
    static func queryFields(_ request: Request) -> [String: String] { fields(request.uri.query ?? "") }

    /// `application/x-www-form-urlencoded` text, decoded.
    static func fields(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String {
                String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            guard let name = parts.first else { continue }
            fields[decode(name)] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }
}
