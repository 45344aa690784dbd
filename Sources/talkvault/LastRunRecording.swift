import Foundation
import LastRuns
import RetentionConfig
import TalkVaultDomain

extension GlobalOptions {
    /// Runs `body`, the work of a scheduled command (one of `LastRunLog.commands`), and keeps it
    /// as that command's last run in the data dir (`state/last-run-<command>.json`), failed or
    /// not, with the outcome as the audit trail words it. `body` sets its summary: one line of
    /// counts, never chat text or file names; a failure after the figures were known keeps them.
    /// A dry run keeps nothing, and neither does a user other than the data dir's owner, nor a
    /// data dir that does not exist when the command ends. A run that cannot be kept is a
    /// warning, never the command's failure.
    func recordingLastRun<T>(_ config: TalkVaultConfig, _ command: String, dryRun: Bool = false,
                             _ body: (inout String?) throws -> T) throws -> T {
        var summary: String?
        guard !dryRun else { return try body(&summary) }
        let started = lastRunClock()
        let result = Result { try body(&summary) }
        recordLastRun(config, command, started: started, summary: summary, result.map { _ in () })
        return try result.get()
    }

    /// `recordingLastRun` for a command that waits (sweep downloads).
    func recordingLastRun<T>(_ config: TalkVaultConfig, _ command: String, dryRun: Bool = false,
                             _ body: (inout String?) async throws -> T) async throws -> T {
        var summary: String?
        guard !dryRun else { return try await body(&summary) }
        let started = lastRunClock()
        let result: Result<T, any Error>
        do { result = .success(try await body(&summary)) } catch { result = .failure(error) }
        recordLastRun(config, command, started: started, summary: summary, result.map { _ in () })
        return try result.get()
    }

    private func lastRunClock() -> Instant { (try? clock().now()) ?? SystemClock().now() }

    private func recordLastRun(_ config: TalkVaultConfig, _ command: String, started: Instant, summary: String?,
                               _ result: Result<Void, any Error>) {
        guard let dataDir = ownDataDir(config) else { return }
        let run = LastRun(command: command, startedAt: started, finishedAt: lastRunClock(), outcome: Self.outcome(result), summary: summary)
        do {
            try LastRunLog(dataDir: dataDir).record(run)
        } catch {
            FileHandle.standardError.write(Data("talkvault: warning: this \(command)'s run could not be recorded for the console: \(error)\n".utf8))
        }
    }
}
