import ChatBackup
import Foundation
import Store
import TalkVaultDomain
import Zip

/// How an import runs.
public struct ImportSettings: Sendable {
    /// The data dir; imported files wait to be packed in its `staging/import`.
    public var dataDir: String
    public var channel: String
    public var policy: RetentionPolicy
    public var dryRun: Bool
    /// `--map 'NAME=CHAT_ID'`: chats that a display name settles.
    public var maps: [String: String]
    public var zipLimits: ZipLimits

    public init(dataDir: String, channel: String, policy: RetentionPolicy, dryRun: Bool = false, maps: [String: String] = [:],
                zipLimits: ZipLimits = ZipLimits()) {
        self.dataDir = dataDir
        self.channel = channel
        self.policy = policy
        self.dryRun = dryRun
        self.maps = maps
        self.zipLimits = zipLimits
    }
}

/// `talkvault import`: OA Manager chat backups (zips, CSV files, directories of them) merged
/// into the ledger, one file per transaction. A file is imported whole or not at all; a bad
/// file is reported with its line and the others go on.
public final class Importer {
    let store: any ImportStore
    let settings: ImportSettings
    let clock: any WallClock
    let staging: ImportStaging
    var report = ImportReport()
    var pending: [PendingFile] = []
    /// Names this run could not settle, with their candidates.
    var unmatched: [String: ImportReport.Unmatched] = [:]
    var pendingRows = 0

    public init(store: any ImportStore, settings: ImportSettings, clock: any WallClock) {
        self.store = store
        self.settings = settings
        self.clock = clock
        staging = ImportStaging(dataDir: settings.dataDir, dryRun: settings.dryRun)
    }

    /// Imports every backup file under `paths`.
    public func run(paths: [String]) throws(ImportError) -> ImportReport {
        report = ImportReport()
        report.dryRun = settings.dryRun
        for path in paths where !FileManager.default.isReadableFile(atPath: path) {
            throw .unreadable(path: path, reason: "no such file or directory, or not readable")
        }
        for (name, chatId) in settings.maps.sorted(by: { $0.key < $1.key }) {
            guard try ledger({ try store.isUserChat(chatId, channel: settings.channel) }) else {
                throw .badMapping("'\(chatId)' is not a 1:1 chat with captured messages in the channel \(settings.channel) (for '\(name)')")
            }
        }
        // A dry run stages only temporary copies, which it removes; it needs no lock.
        let lock = settings.dryRun ? nil : try staging.lock()
        defer { if let lock { close(lock) } }
        try staging.prepare(keeping: try ledger { try store.stagedImportFiles() })
        for (name, chatId) in settings.maps.sorted(by: { $0.key < $1.key }) { try settle(name, chatId) }
        for path in paths { try importPath(path) }
        try flush()
        // Every chat still waiting, this run's or an earlier one's, is reported until settled.
        // (A dry run's own rows were rolled back: they count on top of what waits.)
        report.unmatchedChats = unmatched
        for (chatId, rows) in try ledger({ try store.heldChats(channel: settings.channel) }) {
            guard let name = UnmatchedChat.name(chatId) else { continue }
            let thisRun = settings.dryRun ? unmatched[name]?.rows ?? 0 : 0
            report.unmatchedChats[name, default: .init(candidates: [], rows: 0, earlier: true)].rows = rows + thisRun
        }
        return report
    }

    private func settle(_ name: String, _ chatId: String) throws(ImportError) {
        var merged = 0
        let moved = try ledger {
            try store.settle(displayName: name, heldChatId: UnmatchedChat.id(name), chatId: chatId, channel: settings.channel,
                             at: clock.now(), dryRun: settings.dryRun) { held, target in
                let copies = RowMatcher.copies(held: held, in: target)
                merged = copies.count
                return copies
            }
        }
        report.settled.append(.init(name: name, chatId: chatId, moved: moved, merged: merged))
    }

    /// A zip, a CSV, or a directory searched recursively (in name order, so reports repeat).
    private func importPath(_ path: String) throws(ImportError) {
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        guard isDirectory.boolValue else { return try importFile(path, explicit: true) }
        let files = (FileManager.default.enumerator(atPath: path)?.compactMap { $0 as? String } ?? []).sorted()
        for relative in files where !Self.isResourceFork(relative) {
            let full = path + "/" + relative
            var inner: ObjCBool = false
            if FileManager.default.fileExists(atPath: full, isDirectory: &inner), !inner.boolValue {
                try importFile(full, explicit: false)
            }
        }
    }

    private func importFile(_ path: String, explicit: Bool) throws(ImportError) {
        let lower = path.lowercased()
        if lower.hasSuffix(".zip") {
            try importZip(path)
        } else if lower.hasSuffix(".csv") {
            let size = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.uint64Value ?? 0
            guard size <= settings.zipLimits.maxEntryBytes else {
                report.files.append(.init(path: path, outcome: .rejected("larger than \(settings.zipLimits.maxEntryBytes >> 20) MiB, "
                                                                          + "more than any chat's backup holds")))
                return
            }
            let staged: ImportStaging.Staged
            do { staged = try staging.stage(copying: path) } catch { return reject(path, error) }
            try importStaged(staged, path: path, name: (path as NSString).lastPathComponent)
        } else if explicit {
            report.files.append(.init(path: path, outcome: .rejected("not a .zip or .csv file")))
        } else {
            report.files.append(.init(path: path, outcome: .skipped("not a .zip or .csv file")))
        }
    }

    private func importZip(_ path: String) throws(ImportError) {
        let zip: ZipReader
        do { zip = try ZipReader(path: path, limits: settings.zipLimits) } catch { return reject(path, error) }
        for entry in zip.entries where !Self.isResourceFork(entry.name) {
            let shown = path + ":" + entry.name
            guard entry.name.lowercased().hasSuffix(".csv") else {
                report.files.append(.init(path: shown, outcome: .skipped("not a .csv entry")))
                continue
            }
            let staged: ImportStaging.Staged
            do {
                staged = try staging.stage { write in try zip.read(entry) { try write($0) } }
            } catch {
                reject(shown, error)
                continue
            }
            try importStaged(staged, path: shown, name: (entry.name as NSString).lastPathComponent)
        }
    }

    /// What macOS adds when it zips or copies (`__MACOSX/`, `._name`): no backup of anyone's.
    static func isResourceFork(_ path: String) -> Bool {
        path.hasPrefix("__MACOSX/") || path.contains("/__MACOSX/") || (path as NSString).lastPathComponent.hasPrefix("._")
    }

    private func reject(_ path: String, _ error: any Error) {
        report.files.append(.init(path: path, outcome: .rejected("\(error)")))
    }

    /// Runs `body`, its ledger error as the import's.
    func ledger<T>(_ body: () throws -> T) throws(ImportError) -> T {
        do { return try body() } catch let error as LedgerError { throw .ledger(error) } catch let error as ImportError { throw error } catch {
            throw .staging("\(error)")
        }
    }
}
