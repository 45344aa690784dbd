/// The rules for a console password: at least 12 characters, at most 72 bytes in UTF-8
/// (bcrypt reads no further: a longer one is refused, not silently cut), and no control
/// characters. Errors never repeat the password.
public enum Password {
    public static let minimumCharacters = 12
    public static let maximumBytes = 72

    /// Throws unless `password` follows the rules.
    public static func validate(_ password: String) throws(AccountsError) {
        guard !password.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .passwordHasControlCharacter
        }
        guard password.count >= minimumCharacters else { throw .passwordTooShort }
        guard password.utf8.count <= maximumBytes else { throw .passwordTooLong }
    }
}
