import Foundation

/// The console's languages: Japanese first, English with `?lang=en` or a browser that prefers it.
enum ConsoleLanguage: String, Sendable {
    case ja, en

    /// `?lang=` wins, then the first of Accept-Language's languages that is ours; Japanese otherwise.
    static func choose(query: String?, acceptLanguage: String?) -> ConsoleLanguage {
        if let query, let chosen = ConsoleLanguage(rawValue: query) { return chosen }
        let ranked = (acceptLanguage ?? "").split(separator: ",").compactMap { part -> (String, Double)? in
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let tag = pieces.first, !tag.isEmpty else { return nil }
            let q = pieces.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            return (String(tag.prefix { $0 != "-" }), q)
        }
        for (tag, q) in ranked.sorted(by: { $0.1 > $1.1 }) where q > 0 {
            if let chosen = ConsoleLanguage(rawValue: tag) { return chosen }
        }
        return .ja
    }

    /// The page's words in this language, by key, for the templates (`{{t.key}}`).
    var strings: [String: String] { self == .ja ? ConsoleStrings.japanese : ConsoleStrings.english }

    /// One word, or the key itself when missing (a test checks none is).
    func text(_ key: String) -> String { strings[key] ?? key }
}
