import Accounts
import ArgumentParser
import Foundation
import TalkVaultDomain

struct UserListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the console users: name, role, when added, when their password last changed.")

    @OptionGroup var global: GlobalOptions
    @Flag(help: "One JSON object per line: name, role, created_at, password_changed_at (RFC 3339).") var json = false

    /// One user as `--json` writes it: never the hash.
    struct Listed: Encodable {
        let name: String
        let role: String
        let createdAt: String
        let passwordChangedAt: String

        enum CodingKeys: String, CodingKey {
            case name, role
            case createdAt = "created_at"
            case passwordChangedAt = "password_changed_at"
        }
    }

    func run() throws {
        let config = try global.loadConfig()
        let users = try UserDirectory(dataDir: global.paths(config).dataDir).users()
        let zone = config.timeZone
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let out = BufferedOutput()
            for user in users {
                let listed = Listed(name: user.name, role: user.role.rawValue, createdAt: user.createdAt.rfc3339(in: zone),
                                    passwordChangedAt: user.passwordChangedAt.rfc3339(in: zone))
                out.write(String(decoding: try encoder.encode(listed), as: UTF8.self) + "\n")
            }
            out.flush()
            return
        }
        guard !users.isEmpty else {
            FileHandle.standardError.write(Data("no console users (add one with talkvault user add NAME --role ROLE)\n".utf8))
            return
        }
        let when = { (instant: Instant) in instant.rfc3339(in: zone).prefix(16).replacingOccurrences(of: "T", with: " ") }
        let rows = [["NAME", "ROLE", "ADDED", "PASSWORD CHANGED"]] + users.map { [$0.name, $0.role.rawValue, when($0.createdAt), when($0.passwordChangedAt)] }
        let widths = (0..<4).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            let padded = row.enumerated().map { column, cell in
                column == 3 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }
            print(padded.joined(separator: "  "))
        }
    }
}
