import Foundation

/// File names that are safe to extract anywhere: one path component, no `..`, no control
/// characters, no leading dot or dash, at most 200 bytes. The original name is kept in the
/// records; only the entry name is made safe.
public enum SafeName {
    static let maxBytes = 200

    /// `name` made safe, or nil when nothing usable is left of it.
    public static func make(_ name: String) -> String? {
        // Only the last component counts: "../../etc/passwd" becomes "passwd".
        let unified = name.precomposedStringWithCanonicalMapping.replacingOccurrences(of: "\\", with: "/")
        guard let last = unified.split(separator: "/", omittingEmptySubsequences: true).last else { return nil }
        var scalars = String.UnicodeScalarView()
        for scalar in last.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator, .unassigned, .surrogate, .privateUse:
                scalars.append("_")
            default:
                scalars.append(scalar == ":" ? "_" : scalar)
            }
        }
        var safe = String(scalars).trimmingCharacters(in: .whitespaces)
        while let first = safe.first, first == "." || first == "-" { safe.removeFirst() }
        guard !safe.isEmpty else { return nil }
        return truncate(safe)
    }

    /// Cuts to `maxBytes` of UTF-8 on a character boundary, keeping a short extension.
    static func truncate(_ name: String) -> String {
        guard name.utf8.count > maxBytes else { return name }
        let ext = (name as NSString).pathExtension
        let suffix = ext.isEmpty || ext.utf8.count > 16 ? "" : "." + ext
        var stem = ""
        for character in name.dropLast(suffix.count) {
            guard stem.utf8.count + character.utf8.count + suffix.utf8.count <= maxBytes else { break }
            stem.append(character)
        }
        return stem + suffix
    }

    /// True when `path` is a relative path of safe components: what every entry name must be.
    public static func isSafeRelativePath(_ path: String) -> Bool {
        guard !path.isEmpty, !path.hasPrefix("/") else { return false }
        return path.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { component in
            !component.isEmpty && component != "." && component != ".." && !component.contains("\\")
                && !component.unicodeScalars.contains { $0.properties.generalCategory == .control }
        }
    }
}
