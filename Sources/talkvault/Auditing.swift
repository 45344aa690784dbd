import AuditTrail
import Foundation
import RetentionConfig
import TalkVaultDomain

extension GlobalOptions {
    /// Who acts, for the audit trail: the login behind sudo, else the OS user.
    static var actor: String {
        let environment = ProcessInfo.processInfo.environment
        return [environment["SUDO_USER"], environment["USER"], environment["LOGNAME"]].compactMap { $0 }.first { !$0.isEmpty } ?? "uid \(getuid())"
    }

    /// Records `config change` when the config's bytes differ from the last config this data
    /// dir's commands ran with (`audit/config.sha256`), the built-in one included. Only in a data
    /// dir that exists: a command that creates one (or `check` before there is one) records
    /// nothing. A change that cannot be recorded (a log this user cannot write, or a damaged
    /// one) is a warning, not a failure: the hash kept stays the old one, so the next command
    /// that can write records it.
    func recordConfigChange(_ config: TalkVaultConfig) {
        guard let dataDir = ownDataDir(config) else { return }
        let source = config.source == .embedded ? "<built-in retention.yaml>" : config.source.description
        let now = (try? clock().now()) ?? SystemClock().now()
        do {
            try AuditLog(dataDir: dataDir).recordConfig(source: source, bytes: config.sourceBytes, who: Self.actor, at: now)
        } catch {
            FileHandle.standardError.write(Data("talkvault: warning: the config's change could not be recorded in the audit trail: \(error)\n".utf8))
        }
    }

    /// The data dir, when it exists and belongs to the user running this command; nil otherwise.
    /// Bookkeeping a command keeps on the side (a config change, its last run) is written only
    /// by the data dir's owner (the service user): a command run as anyone else, root under
    /// sudo say, would leave files the services cannot replace or append to.
    func ownDataDir(_ config: TalkVaultConfig) -> String? {
        let dataDir = paths(config).dataDir
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dataDir, isDirectory: &isDirectory), isDirectory.boolValue else { return nil }
        var info = stat()
        guard stat(dataDir, &info) == 0, info.st_uid == geteuid() else { return nil }
        return dataDir
    }

    /// How a command ended, as the audit trail and the last runs record it: `ok`, or
    /// `failed (exit N): ` and the first line of the message its exit code is printed with.
    static func outcome(_ result: Result<Void, any Error>) -> String {
        guard case .failure(let error) = result else { return "ok" }
        let failure = Failure(any: error)
        return "failed (exit \(failure.exit.rawValue)): " + (failure.message.split(separator: "\n").first.map(String.init) ?? "")
    }

    /// Runs `body` and records it in the audit trail with its outcome, failed or not. When the
    /// entry cannot be written the command fails with that error: a missing entry never goes
    /// unnoticed.
    func audited<T>(_ config: TalkVaultConfig, _ action: String, target: [String], reason: String? = nil,
                    _ body: () throws -> T) throws -> T {
        try preflight(config)
        let result: Result<T, any Error> = Result { try body() }
        try record(config, action, target: target, reason: reason, result.map { _ in () })
        return try result.get()
    }

    /// `audited` for an action that waits (mark-read calls LINE).
    func audited<T>(_ config: TalkVaultConfig, _ action: String, target: [String], reason: String? = nil,
                    _ body: () async throws -> T) async throws -> T {
        try preflight(config)
        let result: Result<T, any Error>
        do { result = .success(try await body()) } catch { result = .failure(error) }
        try record(config, action, target: target, reason: reason, result.map { _ in () })
        return try result.get()
    }

    /// What the entry needs, checked before the action: the clock, and a log it can be appended to.
    private func preflight(_ config: TalkVaultConfig) throws {
        _ = try clock()
        try AuditLog(dataDir: paths(config).dataDir).checkWritable()
    }

    private func record(_ config: TalkVaultConfig, _ action: String, target: [String], reason: String?, _ result: Result<Void, any Error>) throws {
        let outcome = Self.outcome(result)
        // A selection of thousands of files or ids is recorded by its first hundred and a count.
        let kept = target.count > 100 ? Array(target.prefix(100)) + ["… and \(target.count - 100) more"] : target
        do {
            try AuditLog(dataDir: paths(config).dataDir)
                .append(.init(action: action, who: Self.actor, target: kept, reason: reason, outcome: outcome), at: try clock().now())
        } catch {
            // The action's own failure, if any, is the one reported; the entry's failure is named beside it.
            if case .failure(let failed) = result {
                FileHandle.standardError.write(Data("talkvault: \(error)\n".utf8))
                throw failed
            }
            throw error
        }
    }
}
