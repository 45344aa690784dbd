import Accounts
import Foundation
import HTTPTypes
import Hummingbird

extension Console {
    func addSignIn(to router: Router<ConsoleContext>) {
        router.get("/login") { request, _ in
            if try await identity(request) != nil { return Self.redirect(Self.safeNext(request.uri.queryParameters.get("next")) ?? "/") }
            // Behind SSO the proxy signs people in: a form here could not.
            if settings.trustedHeader != nil { return problem(.unauthorized, "sso_only", identity: nil, request: request) }
            return loginPage(request, next: request.uri.queryParameters.get("next"), username: nil, error: nil, status: .ok)
        }
        router.post("/login") { request, context in try await signIn(request, context) }
        router.post("/logout") { request, _ in
            guard let identity = try await identity(request) else { return Self.redirect("/login") }
            guard try await form(request, identity: identity) != nil else {
                return problem(.forbidden, "form_expired", identity: identity, request: request)
            }
            if let token = request.cookies["tv_session"]?.value { await sessions.end(token) }
            try await audit.record("sign out", who: identity.name, target: [])
            var response = Self.redirect("/login")
            response.setCookie(Cookie(name: "tv_session", value: "", maxAge: 0, path: "/", secure: secure(request), httpOnly: true, sameSite: .strict))
            return response
        }
    }

    /// The sign-in form, with a fresh pre-session CSRF token in a cookie and in the form (the
    /// form is accepted only when the two agree).
    func loginPage(_ request: Request, next: String?, username: String?, error: String?, status: HTTPResponse.Status) -> Response {
        let token = Token.random()
        var view: [String: Any] = ["csrf": token, "next": Self.safeNext(next) ?? ""]
        if let username { view["username"] = username }
        if let error { view["error"] = error }
        var response = html("login", title: "sign_in", view: view, identity: nil, request: request, status: status)
        response.setCookie(Cookie(name: "tv_login", value: token, path: "/login", secure: secure(request), httpOnly: true, sameSite: .strict))
        return response
    }

    func signIn(_ request: Request, _ context: ConsoleContext) async throws -> Response {
        if settings.trustedHeader != nil { return Self.redirect("/") }
        let fields = try await Self.formFields(request)
        let lang = language(request)
        let next = fields["next"]
        guard let token = fields["csrf"], let cookie = request.cookies["tv_login"]?.value, Token.equal(token, cookie) else {
            return loginPage(request, next: next, username: nil, error: lang.text("form_expired"), status: .forbidden)
        }
        // Cut by scalars, as names are counted: one "character" can carry thousands of combining marks.
        let name = String(String.UnicodeScalarView((fields["username"] ?? "").unicodeScalars.prefix(UserName.maximumLength)))
        let password = fields["password"] ?? ""
        let address = address(request, context)
        // Counted as a failure before the password is checked (taken back when it is right).
        let stamp: Int64
        switch await limiter.begin(user: name, address: address) {
        case .counted(let at): stamp = at
        case .refused(let wait, let record):
            if record { try await audit.record("sign in", who: name, target: [address], outcome: "refused: too many failed sign-ins (further refusals in this window are not recorded)") }
            var response = loginPage(request, next: next, username: name,
                                     error: ViewFormat.fill(lang.text("sign_in_limited"), "\(wait)"), status: .tooManyRequests)
            response.headers[.retryAfter] = "\(wait)"
            return response
        }
        // bcrypt is slow on purpose: off the event loop, and off the cooperative pool every page
        // runs on (a few sign-ins at once there would stall every page, /healthz included).
        let users = self.users
        guard let checked = try await PasswordChecks.shared.run({ try users.authenticate(name: name, password: password) }) else {
            // The server is busy, not the password wrong: the attempt is given back, and a load
            // refusal is not an event of the trail (only sign-ins and refused guesses are).
            await limiter.giveBack(user: name, address: address, stamp: stamp)
            var response = loginPage(request, next: next, username: name, error: lang.text("sign_in_busy"), status: .serviceUnavailable)
            response.headers[.retryAfter] = "1"
            return response
        }
        guard let user = checked else {
            try await audit.record("sign in", who: name, target: [address], outcome: "failed: wrong user name or password")
            return loginPage(request, next: next, username: name, error: lang.text("sign_in_failed"), status: .unauthorized)
        }
        await limiter.succeeded(user: name, address: address, stamp: stamp)
        let (sessionToken, _) = await sessions.create(user: user.name)
        try await audit.record("sign in", who: user.name, target: [address])
        var response = Self.redirect(Self.safeNext(next) ?? "/")
        response.setCookie(Cookie(name: "tv_session", value: sessionToken, path: "/", secure: secure(request), httpOnly: true, sameSite: .strict))
        response.setCookie(Cookie(name: "tv_login", value: "", maxAge: 0, path: "/login", secure: secure(request), httpOnly: true, sameSite: .strict))
        return response
    }

    /// `next` when it is a path of this console (one slash, no scheme, no backslash), else nil:
    /// the sign-in form must not send anyone elsewhere.
    static func safeNext(_ next: String?) -> String? {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.contains("\\"), next.count <= 2048,
              !next.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return nil }
        return next
    }
}
