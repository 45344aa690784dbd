import Foundation
import TalkVaultDomain

/// The users file's bytes: JSON, `{"users": [...], "version": 1}`, each user with its name,
/// role, bcrypt hash and two times in milliseconds since the epoch (as the audit log keeps them).
enum UsersFile {
    static let version = 1

    private struct Document: Codable {
        var users: [Entry]
        var version: Int
    }

    private struct Entry: Codable {
        var name: String
        var role: String
        var passwordHash: String
        var createdAtMs: Int64
        var passwordChangedAtMs: Int64

        enum CodingKeys: String, CodingKey {
            case name, role
            case passwordHash = "password_hash"
            case createdAtMs = "created_at_ms"
            case passwordChangedAtMs = "password_changed_at_ms"
        }
    }

    private struct VersionOnly: Decodable {
        var version: Int?
    }

    /// The file's content for `users`, sorted by name, ending in a line feed.
    static func encode(_ users: [ConsoleUser]) -> [UInt8] {
        let document = Document(users: users.sorted { $0.name < $1.name }.map {
            Entry(name: $0.name, role: $0.role.rawValue, passwordHash: $0.passwordHash,
                  createdAtMs: $0.createdAt.milliseconds, passwordChangedAtMs: $0.passwordChangedAt.milliseconds)
        }, version: version)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Strings, integers and arrays of them always encode.
        return Array((try? encoder.encode(document)) ?? Data()) + [10]
    }

    /// The users in `bytes`, sorted by name; `.damaged` names what is wrong (`path` in the message).
    static func decode(_ bytes: [UInt8], path: String) throws(AccountsError) -> [ConsoleUser] {
        let data = Data(bytes)
        guard let probe = try? JSONDecoder().decode(VersionOnly.self, from: data) else {
            throw .damaged(path: path, problem: "not a JSON object")
        }
        guard let found = probe.version else { throw .damaged(path: path, problem: "no \"version\"") }
        guard found == version else {
            throw .damaged(path: path, problem: "version \(found), where this TalkVault reads version \(version)")
        }
        let document: Document
        do { document = try JSONDecoder().decode(Document.self, from: data) } catch {
            throw .damaged(path: path, problem: "not a users file (\(Self.describe(error)))")
        }
        var users: [ConsoleUser] = []
        var seen: Set<String> = []
        for (index, entry) in document.users.enumerated() {
            let which = "user \(index + 1)"
            do { try UserName.validate(entry.name) } catch { throw .damaged(path: path, problem: "\(which): \(error)") }
            guard let role = ConsoleRole(rawValue: entry.role) else {
                throw .damaged(path: path, problem: "\(which) (\(entry.name)): unknown role \(UserName.quoted(entry.role))")
            }
            guard BcryptHash.isWellFormed(entry.passwordHash) else {
                throw .damaged(path: path, problem: "\(which) (\(entry.name)): the password hash is not a bcrypt hash")
            }
            guard seen.insert(entry.name.lowercased()).inserted else {
                throw .damaged(path: path, problem: "\(which): the name \(entry.name) appears twice")
            }
            users.append(ConsoleUser(name: entry.name, role: role, passwordHash: entry.passwordHash,
                                     createdAt: Instant(milliseconds: entry.createdAtMs),
                                     passwordChangedAt: Instant(milliseconds: entry.passwordChangedAtMs)))
        }
        return users.sorted { $0.name < $1.name }
    }

    /// A decoding error in a few words: which key, and what was wrong with it.
    private static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func at(_ path: [any CodingKey]) -> String {
            path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing \(at(context.codingPath + [key]))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context): return "a wrong value at \(at(context.codingPath))"
        case .dataCorrupted(let context): return "bad data at \(at(context.codingPath))"
        @unknown default: return "\(error)"
        }
    }
}
