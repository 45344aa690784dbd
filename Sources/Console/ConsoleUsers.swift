import Accounts
import Foundation

/// The user file as the running console sees it: read again whenever it changes on disk, so
/// `talkvault user add`, `passwd` and `remove` take effect without a restart. A user removed,
/// or whose role changed, loses their sessions' rights at the next request.
actor ConsoleUsers {
    private let directory: UserDirectory
    private var snapshot = UserSnapshot(users: [], stamp: nil)
    private var loaded = false

    init(dataDir: String) {
        directory = UserDirectory(dataDir: dataDir)
    }

    /// The current user of that name, or nil.
    func user(named name: String) throws -> ConsoleUser? {
        try refresh()
        return snapshot.user(named: name)
    }

    /// The user when `password` is theirs; bcrypt takes as long for an unknown name.
    nonisolated func authenticate(name: String, password: String) throws -> ConsoleUser? {
        try directory.authenticate(name: name, password: password)
    }

    private func refresh() throws {
        snapshot = loaded ? try directory.refreshed(snapshot) : try directory.snapshot()
        loaded = true
    }
}
