import ArgumentParser
import Archive
import Packing
import Foundation
import Intake
import Ledger
import Store
import RetentionConfig
import TalkVaultDomain

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The retention policy file.",
        discussion: "Default: ./retention.yaml, then /etc/talkvault/retention.yaml, then built-in defaults.",
        valueName: "file"))
    var config: String?

    @Option(name: .long, help: ArgumentHelp(
        "Where every file TalkVault writes goes (env TALKVAULT_DATA_DIR; default: data_dir in the config).",
        valueName: "dir"))
    var dataDir: String?

    /// The validated config; a `ConfigError` (exit 78) names every problem at `file:line:col`.
    /// Its warnings (a keep shorter than LINE's window) go to standard error: every command
    /// loads the config once, so they are printed once per run. A config that differs from
    /// the last one the data dir saw is recorded in the audit trail (`recordConfigChange`).
    func loadConfig(auditingChange: Bool = true) throws -> TalkVaultConfig {
        let loaded = try ConfigLoader.locateAndLoad(explicitPath: config)
        for warning in loaded.warnings {
            FileHandle.standardError.write(Data("talkvault: warning: \(warning)\n".utf8))
        }
        if auditingChange { recordConfigChange(loaded) }
        return loaded
    }

    /// Absolute paths under the data dir: `--data-dir`, else TALKVAULT_DATA_DIR, else the config's.
    func paths(_ config: TalkVaultConfig) -> TalkVaultConfig.Paths {
        let fromEnvironment = ProcessInfo.processInfo.environment["TALKVAULT_DATA_DIR"].flatMap { $0.isEmpty ? nil : $0 }
        return config.paths(dataDirOverride: dataDir ?? fromEnvironment)
    }

    /// The clock: TALKVAULT_NOW when set, else the system clock.
    func clock() throws -> any WallClock {
        guard let text = ProcessInfo.processInfo.environment["TALKVAULT_NOW"], !text.isEmpty else { return SystemClock() }
        guard let instant = Instant(rfc3339: text) else {
            throw Failure(.usage, "TALKVAULT_NOW is not an RFC 3339 time (like 2026-11-22T09:00:00+09:00)")
        }
        return FixedClock(instant)
    }

    /// Opens the ledger for a command that writes, and takes its two first steps: the schema
    /// and deadlines brought up to date (`migrate`), then every webhook body `serve`
    /// acknowledged applied, so the command sees every acknowledged event even when `serve`
    /// is down or behind.
    func openLedgerForWriting(_ config: TalkVaultConfig, create: Bool, cacheKibibytes: Int? = nil) throws -> Ledger {
        let ledger = try Ledger(path: paths(config).database, policy: config.policy, access: .readWrite(create: create),
                                cacheKibibytes: cacheKibibytes)
        try ledger.migrate()
        try InboxApplier(ledger).applyAll()
        return ledger
    }

    /// Opens the ledger read-only for a command that only reads (`status`, `find`, `show`,
    /// `restore`, `verify`, a sweep's plan): it writes nothing and takes no lock. Bodies `serve`
    /// acknowledged but has not applied are not applied here: `serve` applies them within
    /// milliseconds while it runs, and any writing command does when it does not. Deadlines
    /// computed with other windows than the config's are not recomputed either: it warns.
    func openLedgerForReading(_ config: TalkVaultConfig) throws -> Ledger {
        let ledger = try Ledger(path: paths(config).database, policy: config.policy, access: .readOnly)
        if try !ledger.deadlinesAreCurrent() {
            // Reading must not write: the deadlines are recomputed by the next command that writes.
            FileHandle.standardError.write(Data(("talkvault: warning: the ledger's deadlines were computed with other windows than "
                + "\(config.source)'s; a command that writes (serve as it starts, sweep, pack) recomputes them\n").utf8))
        }
        return ledger
    }

    /// Segment settings from the config.
    func packSettings(_ config: TalkVaultConfig) -> PackSettings {
        PackSettings(dataDir: paths(config).dataDir, archiveDir: paths(config).archiveDir, timeZone: config.timeZone,
                     segment: SegmentWriter.Settings(compression: CompressionPolicy(level: Int32(config.archive.compressionLevel)),
                                                     memberTarget: config.archive.memberTargetBytes,
                                                     toolVersion: "talkvault \(TalkVaultVersion.current)"),
                     segmentMaxBytes: UInt64(config.archive.segmentMaxBytes))
    }

    /// The configured channels, and any other the ledger holds messages of (captured before
    /// `channels:` were listed, say): none is left out. Without `channels:`, the implicit
    /// `default` counts unless the ledger holds only others (a data dir the demo or an
    /// `ingest --channel` made), where it would be empty.
    static func knownChannels(_ config: TalkVaultConfig, _ ledger: Ledger) throws -> [String] {
        let held = try ledger.exportStore.channelsWithMessages()
        let listed = config.listsChannels || held.isEmpty || held.contains(ChannelName.implicit) ? config.channels.map(\.name) : []
        return listed + held.filter { !listed.contains($0) }
    }
}
