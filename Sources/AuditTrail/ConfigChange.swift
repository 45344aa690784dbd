import Crypto
import DurableFile
import Foundation
import TalkVaultDomain

/// A changed `retention.yaml`: every command that loads the config compares its bytes' SHA-256
/// with the last one seen for the data dir (`audit/config.sha256`), and records a change as
/// `config change`.
extension AuditLog {
    /// The action a changed config is recorded under.
    public static let configChange = "config change"

    /// Where the SHA-256 of the last config seen is kept, beside the log.
    public var configHashPath: String { (path as NSString).deletingLastPathComponent + "/config.sha256" }

    /// Records `config change` when `bytes` (the config as read) differ from the last config
    /// seen: target the config's source, `sha256:<new>`, and `was sha256:<old>` or `first
    /// seen`. The entry is appended, then the new hash kept, both under the log's lock, so two
    /// commands starting at once record one change. Nil when nothing changed.
    @discardableResult
    public func recordConfig(source: String, bytes: Data, who: String, at now: Instant) throws(AuditError) -> AuditEntry? {
        let hash = FileDigest.hex(SHA256.hash(data: bytes))
        // The usual case reads one small file and takes no lock.
        if case .hash(hash) = lastConfigSeen() { return nil }
        let isNew = !FileManager.default.fileExists(atPath: path)
        return try withLastEntry { fd, previous throws(AuditError) -> AuditEntry? in
            let was: String
            switch lastConfigSeen() {
            case .hash(let seen) where seen == hash: return nil
            case .hash(let seen): was = "was sha256:" + seen
            case .none: was = "first seen"
            case .unreadable: was = "was unknown (\(configHashPath) unreadable)"
            }
            let entry = try appendLine(Record(action: Self.configChange, who: who, target: [source, "sha256:" + hash, was], outcome: "ok"),
                                       at: now, after: previous, to: fd, isNew: isNew)
            try keepConfigHash(hash)
            return entry
        }
    }

    private enum Seen: Equatable {
        case none, unreadable
        case hash(String)
    }

    private func lastConfigSeen() -> Seen {
        guard FileManager.default.fileExists(atPath: configHashPath) else { return .none }
        guard let data = FileManager.default.contents(atPath: configHashPath),
              let text = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines),
              text.count == 64, text.allSatisfy(\.isHexDigit) else { return .unreadable }
        return .hash(text.lowercased())
    }

    /// Writes the hash under a temporary name, fsyncs it, renames it into place and fsyncs the directory.
    private func keepConfigHash(_ hash: String) throws(AuditError) {
        let temporary = configHashPath + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"
        do {
            let file = try OutputFile(path: temporary)
            try file.write(Array((hash + "\n").utf8))
            try file.syncAndClose()
        } catch {
            unlink(temporary)
            throw .io(path: configHashPath, reason: "\(error)")
        }
        guard rename(temporary, configHashPath) == 0 else {
            let reason = Errno.text()
            unlink(temporary)
            throw .io(path: configHashPath, reason: "cannot rename into place (\(reason))")
        }
        do { try Durable.syncDirectory((configHashPath as NSString).deletingLastPathComponent) } catch {
            throw .io(path: configHashPath, reason: "\(error)")
        }
    }
}
