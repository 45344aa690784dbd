/// The rules for a console user name: 1 to 64 characters from `A-Z a-z 0-9 . _ @ -`, not
/// starting with `-` or `.` (so a name is never an option, nor a hidden file's).
public enum UserName {
    public static let maximumLength = 64

    /// Throws `.invalidName` unless `name` follows the rules.
    public static func validate(_ name: String) throws(AccountsError) {
        let scalars = name.unicodeScalars
        guard !scalars.isEmpty else { throw .invalidName(name, problem: "it is empty") }
        guard scalars.count <= maximumLength else { throw .invalidName(name, problem: "it is longer than \(maximumLength) characters") }
        guard scalars.allSatisfy(isAllowed) else {
            throw .invalidName(name, problem: "use only letters A-Z a-z, digits and . _ @ -")
        }
        guard let first = scalars.first, first != "-", first != "." else {
            throw .invalidName(name, problem: "it must not start with - or .")
        }
    }

    private static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "A"..."Z", "a"..."z", "0"..."9", ".", "_", "@", "-": return true
        default: return false
        }
    }

    /// The name in quotes for a message, with anything unprintable escaped and a long one cut.
    static func quoted(_ name: String) -> String {
        var text = ""
        for scalar in name.unicodeScalars.prefix(80) {
            text += scalar.properties.generalCategory == .control || scalar == "\"" || scalar == "\\"
                ? scalar.escaped(asASCII: true) : String(scalar)
        }
        return "\"" + text + (name.unicodeScalars.count > 80 ? "…" : "") + "\""
    }
}
