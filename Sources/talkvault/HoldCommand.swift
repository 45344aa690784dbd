import ArgumentParser
import Foundation
import TalkVaultDomain

struct HoldCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hold",
        abstract: "Legal holds: what they cover is never purged, redacted or erased.",
        discussion: """
        A hold is a rule (chats, users, channel, dates, tag), so a message captured later that \
        falls in it is held from the moment it arrives. Holds win over every keep rule and \
        command. A released hold stays listed, with who released it and why.
        """,
        subcommands: [HoldAddCommand.self, HoldListCommand.self, HoldShowCommand.self, HoldReleaseCommand.self])

    /// A hold's lines for `list` and `show`.
    static func describe(_ hold: LegalHold, zone: TimeZone) -> String {
        var scope: [String] = hold.chats.map { "--chat \($0)" } + hold.users.map { "--user \($0)" }
        if let channel = hold.channel { scope.append("--channel \(channel)") }
        if let since = hold.since { scope.append("--since \(since.rfc3339(in: zone))") }
        if let until = hold.until { scope.append("--until \(until.rfc3339(in: zone))") }
        if let tag = hold.tag { scope.append("--tag \(tag)") }
        var out = "\(hold.name)\t\(hold.isActive ? "active" : "released")\t\(scope.isEmpty ? "everything" : scope.joined(separator: " "))\n"
        out += "  placed   \(hold.createdAt.rfc3339(in: zone)) by \(hold.createdBy): \(hold.reason)\n"
        if let released = hold.released { out += "  released \(released.at.rfc3339(in: zone)) by \(released.by): \(released.reason)\n" }
        return out
    }
}
