import InboxLog
import Ledger
import Packing
import Purging
import RetentionConfig

extension GlobalOptions {
    /// What `purge` and `erase` start with: the data dir's pack lock (no pack or sweep writes
    /// segments meanwhile), the ledger, and a purger over it and the delivered exports. A dry
    /// run only reads: no lock, the ledger read-only, so it works beside a running sweep.
    func openPurger(_ config: TalkVaultConfig, dryRun: Bool) throws -> (lock: PackLock?, ledger: Ledger, purger: Purger) {
        let lock = dryRun ? nil : try PackLock.acquire(dataDir: paths(config).dataDir)
        do {
            // A scan of every message needs no large page cache: memory stays flat on any ledger.
            let ledger = dryRun ? try openLedgerForReading(config)
                                : try openLedgerForWriting(config, create: false, cacheKibibytes: 8 * 1024)
            let purger = Purger(purge: ledger.purgeStore, index: ledger.archiveIndex, settings: try purgeSettings(config, ledger: ledger),
                                exports: ledger.exportStore)
            return (lock, ledger, purger)
        } catch {
            lock?.release()
            throw error
        }
    }

    /// Where a purge works; `ledger`'s inbox position and relay targets say how far the inbox
    /// log's bodies have been read by everything that reads them.
    func purgeSettings(_ config: TalkVaultConfig, ledger: Ledger) throws -> PurgeSettings {
        let pack = packSettings(config)
        let through = try ([ledger.inboxStore.inboxPosition()] + ledger.relayStore.relayTargets().map(\.position)).min()!
        return PurgeSettings(dataDir: pack.dataDir, archiveDir: pack.archiveDir, exportDir: paths(config).exportDir, timeZone: config.timeZone,
                             segment: pack.segment, inbox: (SegmentDirectory(ledgerPath: paths(config).database), through))
    }
}
