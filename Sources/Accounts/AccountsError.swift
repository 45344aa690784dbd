/// Why a user could not be added, changed, removed or read. No message ever contains a password.
public enum AccountsError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A user name outside the rules of `UserName`; `problem` says which.
    case invalidName(String, problem: String)
    /// A password shorter than `Password.minimumCharacters`.
    case passwordTooShort
    /// A password longer than `Password.maximumBytes` in UTF-8 (bcrypt would ignore the rest).
    case passwordTooLong
    /// A password with a control character (a tab, a line feed, an escape…).
    case passwordHasControlCharacter
    /// `add` of a name already taken (names are compared ignoring case).
    case duplicateUser(String)
    /// `setPassword` or `remove` of a name the directory does not have.
    case unknownUser(String)
    /// The users file is not one this version wrote: bad JSON, another version, a bad entry.
    case damaged(path: String, problem: String)
    /// The users file exists but cannot be read.
    case unreadable(path: String, reason: String)
    /// A write (or the lock, or the directory) failed; the file kept its previous content.
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalidName(let name, let problem):
            return "invalid user name \(UserName.quoted(name)): \(problem)"
        case .passwordTooShort:
            return "the password is too short: at least \(Password.minimumCharacters) characters"
        case .passwordTooLong:
            return "the password is too long: at most \(Password.maximumBytes) bytes in UTF-8 (bcrypt ignores the rest)"
        case .passwordHasControlCharacter:
            return "the password contains a control character (a tab, line feed or other invisible character)"
        case .duplicateUser(let name):
            return "a console user named \(name) exists"
        case .unknownUser(let name):
            return "no console user named \(UserName.quoted(name))"
        case .damaged(let path, let problem):
            return "\(path): damaged: \(problem) (fix or restore the file; it was not changed)"
        case .unreadable(let path, let reason):
            return "\(path): cannot read (\(reason))"
        case .io(let path, let reason):
            return "\(path): \(reason)"
        }
    }
}
