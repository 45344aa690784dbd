import Accounts

/// Who a request is from: a signed-in user (or one the SSO proxy named) and their role.
struct Identity: Sendable {
    var name: String
    var role: ConsoleRole
    /// The token every form carries: the session's own, or under a trusted header (no session
    /// of ours) a per-user token keyed by the process.
    var csrf: String
}

/// What a route needs of the caller.
enum Access {
    /// An HTML page: without a session, a redirect to /login.
    case page
    /// A download: without a session, 401.
    case download
}
