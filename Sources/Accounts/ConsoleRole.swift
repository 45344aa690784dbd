/// What a console user may do. The console asks the role, never the user's name: the table
/// below is the whole policy.
///
/// | | read | restore | audit trail | export, mark read, holds, tags |
/// |---|---|---|---|---|
/// | `manager` | yes | yes | yes | yes |
/// | `support` | yes | yes | no | no |
/// | `auditor` | yes | yes | yes | no |
public enum ConsoleRole: String, CaseIterable, Sendable, Codable {
    /// A compliance manager: everything the console offers.
    case manager
    /// Support staff: reads conversations and restores what a customer asks for.
    case support
    /// An auditor: reads everything, the audit trail included, and changes nothing.
    case auditor

    /// Search and read messages, conversations and the archive's status (every role).
    public var canRead: Bool { true }

    /// Download an archived item, checked against its hash: reading, so every role.
    public var canRestore: Bool { true }

    /// Read the audit trail, and see the weekly exports (and download them) and the holds:
    /// managers and auditors, not support.
    public var canReadAudit: Bool { self != .support }

    /// Make the weekly compliance export (managers only).
    public var canExport: Bool { self == .manager }

    /// Mark messages read (managers only).
    public var canMarkRead: Bool { self == .manager }

    /// Place and release legal holds (managers only).
    public var canManageHolds: Bool { self == .manager }

    /// Tag chats and messages (managers only).
    public var canTag: Bool { self == .manager }

    /// Whether the role may change anything at all (only a manager may).
    public var canChange: Bool { canExport || canMarkRead || canManageHolds || canTag }

    /// One line on what the role may do, for `user list` and help texts.
    public var summary: String {
        switch self {
        case .manager: return "reads, restores, reads the audit trail, exports, marks read, manages holds and tags"
        case .support: return "reads and restores; no audit trail, changes nothing"
        case .auditor: return "reads, restores and reads the audit trail; changes nothing"
        }
    }
}
