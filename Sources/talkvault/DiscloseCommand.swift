import ArgumentParser
import Disclosure
import Foundation
import Ledger

struct DiscloseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disclose",
        abstract: "Write everything held about one person into a directory, for a disclosure request.",
        discussion: """
        For a disclosure request (APPI 第33条). Into --to (a new or empty directory) go: \
        messages.csv and messages.json, every message of the user's 1:1 chat (both sides) and \
        the messages they sent in groups and rooms (not the other members'), oldest first; \
        files/, the archived content of each, checked against its SHA-256; profile.json, the \
        display names known for them and their chats; manifest.json, written last, every file \
        with its size and SHA-256. Content not archived (lost, not yet downloaded) is listed \
        with its state. Recorded in the audit trail. Exits 64 when --to is not empty, 66 for a \
        user the ledger does not know, 65 when an archive does not check out, 74 when a write \
        fails; nothing is left behind then.
        """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "The LINE user id (U…).") var user: String
    @Option(help: "The directory to write into: new, or empty.") var to: String
    @Option(help: "Why (the request's reference, say): recorded in the audit trail.") var reason: String?
    @Flag(help: "A one-object JSON summary.") var json = false

    func validate() throws {
        guard !user.isEmpty, !user.contains(where: \.isWhitespace) else { throw ValidationError("--user takes a LINE user id") }
        guard !to.isEmpty else { throw ValidationError("--to takes a directory") }
        if let reason, reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { throw ValidationError("--reason is empty: say why, or leave it out") }
    }

    func run() throws {
        let config = try global.loadConfig()
        try global.audited(config, "disclose", target: ["user:" + user], reason: reason) {
            let ledger = try global.openLedgerForReading(config)
            let discloser = Discloser(search: ledger.searchStore, index: ledger.archiveIndex, profiles: ledger.profileStore,
                                      archiveDir: global.paths(config).archiveDir)
            let request = DisclosureRequest(userId: user, directory: to, timeZone: config.timeZone, now: try global.clock().now(),
                                            by: GlobalOptions.actor, toolVersion: TalkVaultVersion.current)
            let result = try discloser.run(request, progress: indexingProgress)
            if json {
                try printJSON(Summary(result))
            } else {
                var lines = ["""
                    disclosed \(result.userId) into \(result.directory): \(result.messages) messages (\(result.chatMessages) in their chat, \
                    \(result.groupMessages) of theirs in groups and rooms), \(result.files) files (\(result.fileBytes) bytes), \
                    \(result.displayNames) display names
                    """]
                if !result.notArchived.isEmpty {
                    lines.append("not archived, listed with their state and no file: " + Self.describe(result.notArchived))
                }
                lines.append("manifest: \(result.manifestPath) (\(result.writtenFiles) files, \(result.writtenBytes) bytes)")
                print(lines.joined(separator: "\n"))
            }
        }
    }

    static func describe(_ counts: [String: Int]) -> String {
        counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
    }

    /// `--json`: one object.
    struct Summary: Encodable {
        var user_id, dir, manifest: String
        var messages, chat_messages, group_messages, incoming, outgoing, files: Int
        var file_bytes: UInt64
        var not_archived: [String: Int]
        var display_names, written_files: Int
        var written_bytes: UInt64

        init(_ r: DisclosureResult) {
            user_id = r.userId
            dir = r.directory
            manifest = r.manifestPath
            messages = r.messages
            chat_messages = r.chatMessages
            group_messages = r.groupMessages
            incoming = r.incoming
            outgoing = r.outgoing
            files = r.files
            file_bytes = r.fileBytes
            not_archived = r.notArchived
            display_names = r.displayNames
            written_files = r.writtenFiles
            written_bytes = r.writtenBytes
        }
    }
}
