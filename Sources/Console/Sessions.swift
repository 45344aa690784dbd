import Foundation
import TalkVaultDomain

/// Signed-in sessions, in memory: a restart signs everyone out, and no session token is ever
/// written to disk. Each has its own CSRF token, which every form carries back.
actor SessionStore {
    struct Session: Sendable {
        var user: String
        var csrf: String
        var createdAt: Instant
        var lastSeen: Instant
    }

    private var sessions: [String: Session] = [:]
    private let clock: any WallClock
    private let idle: Int64
    private let lifetime: Int64
    /// Past this many, the least recently used session goes: memory stays bounded whatever
    /// signs in.
    private let limit: Int

    init(clock: any WallClock, idle: RetentionDuration, lifetime: RetentionDuration, limit: Int = 10_000) {
        self.clock = clock
        self.idle = idle.seconds * 1000
        self.lifetime = lifetime.seconds * 1000
        self.limit = limit
    }

    /// A new session for `user`: its token (the cookie's value) and the session.
    func create(user: String) -> (token: String, session: Session) {
        let now = clock.now()
        if sessions.count >= limit { evict(now: now) }
        let token = Token.random()
        let session = Session(user: user, csrf: Token.random(), createdAt: now, lastSeen: now)
        sessions[token] = session
        return (token, session)
    }

    /// The live session of `token`, its idle time reset; nil when unknown or expired (and then forgotten).
    func session(_ token: String) -> Session? {
        guard var session = sessions[token] else { return nil }
        let now = clock.now()
        guard !expired(session, now: now) else {
            sessions[token] = nil
            return nil
        }
        session.lastSeen = now
        sessions[token] = session
        return session
    }

    func end(_ token: String) { sessions[token] = nil }

    var count: Int { sessions.count }

    private func expired(_ session: Session, now: Instant) -> Bool {
        now.milliseconds - session.lastSeen.milliseconds >= idle || now.milliseconds - session.createdAt.milliseconds >= lifetime
            || now.milliseconds < session.createdAt.milliseconds
    }

    private func evict(now: Instant) {
        sessions = sessions.filter { !expired($0.value, now: now) }
        while sessions.count >= limit, let oldest = sessions.min(by: { $0.value.lastSeen < $1.value.lastSeen }) {
            sessions[oldest.key] = nil
        }
    }
}

/// Unguessable tokens: 32 bytes from the system's CSPRNG, base64url.
enum Token {
    static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// Compares in time that does not depend on where two tokens differ.
    static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in x.indices { difference |= x[i] ^ y[i] }
        return difference == 0
    }
}
