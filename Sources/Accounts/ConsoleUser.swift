import TalkVaultDomain

/// One console user: a name, a role and a bcrypt hash of the password (never the password).
public struct ConsoleUser: Sendable, Equatable, CustomStringConvertible {
    /// The name the user signs in with (see `UserName`).
    public var name: String
    public var role: ConsoleRole
    /// The bcrypt hash (`$2b$12$…`, 60 characters).
    public var passwordHash: String
    public var createdAt: Instant
    public var passwordChangedAt: Instant

    public init(name: String, role: ConsoleRole, passwordHash: String, createdAt: Instant, passwordChangedAt: Instant) {
        self.name = name
        self.role = role
        self.passwordHash = passwordHash
        self.createdAt = createdAt
        self.passwordChangedAt = passwordChangedAt
    }

    /// The name and role, never the hash: a user printed or logged by mistake shows nothing secret.
    public var description: String { "\(name) (\(role.rawValue))" }
}
