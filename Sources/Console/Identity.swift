import Accounts

/// Who a request is from: a signed-in user (or one the SSO proxy named) and their role.
struct Identity: Sendable {
    var name: String
    var role: ConsoleRole
    /// The session's CSRF token, which every form carries; nil under a trusted header, where
    /// the proxy's own session stands and forms carry the per-user token instead.
    var csrf: String
}

/// What a route needs of the caller.
enum Access {
    /// An HTML page: without a session, a redirect to /login.
    case page
    /// A download: without a session, 401.
    case download
}
