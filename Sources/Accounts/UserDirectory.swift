import DurableFile
import Foundation
import TalkVaultDomain

/// The console's users, in one file of the data dir: `<data dir>/console/users.json` (mode
/// 0600, in a directory of mode 0700), JSON with `"version": 1`, holding names, roles and
/// bcrypt hashes, never a password.
///
/// Every change is made under an flock on `console/users.lock`: the file is read, changed, and
/// replaced by a new one written under a temporary name, fsynced, renamed into place and the
/// directory fsynced, so a crash leaves the old file or the new, and two changes at once both
/// land. A file that does not parse, or cannot be read, is an error naming it: never no users.
///
/// bcrypt is slow on purpose (about a quarter of a second at cost 12): `add`, `setPassword`
/// and `authenticate` block their thread that long, so call them off any async executor.
public struct UserDirectory: Sendable {
    /// The bcrypt cost new hashes are made at unless `init` is given another.
    public static let defaultCost: UInt8 = 12
    /// A users file larger than this is refused as damaged, unread.
    public static let maximumFileBytes = 16 << 20

    /// The data dir this directory's file is in.
    public let dataDir: String
    /// The users file: `<data dir>/console/users.json`.
    public let path: String
    /// The bcrypt cost of new hashes (4 to 31; tests use 4 to stay fast).
    public let cost: UInt8

    /// The users of the data dir `dataDir`. Nothing is read or created until a method is called.
    public init(dataDir: String, cost: UInt8 = UserDirectory.defaultCost) {
        precondition(BcryptHash.costs.contains(cost), "bcrypt's cost is 4 to 31")
        self.dataDir = dataDir
        self.cost = cost
        path = dataDir + "/console/users.json"
    }

    var directory: String { (path as NSString).deletingLastPathComponent }
    private var temporaryName: String { "users.json.tmp" }

    // MARK: Reading

    /// Every user, sorted by name; none when there is no file.
    public func users() throws(AccountsError) -> [ConsoleUser] {
        try snapshot().users
    }

    /// The user named exactly `name`, or nil.
    public func user(named name: String) throws(AccountsError) -> ConsoleUser? {
        try snapshot().user(named: name)
    }

    /// The users with the stamp of the file they were read from.
    public func snapshot() throws(AccountsError) -> UserSnapshot {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return UserSnapshot(users: [], stamp: nil) }
            throw .unreadable(path: path, reason: Errno.text())
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .unreadable(path: path, reason: Errno.text()) }
        guard info.st_mode & S_IFMT == S_IFREG else { throw .damaged(path: path, problem: "not a regular file") }
        guard info.st_size <= Self.maximumFileBytes else {
            throw .damaged(path: path, problem: "larger than \(Self.maximumFileBytes >> 20) MiB")
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .unreadable(path: path, reason: Errno.text())
            }
            if n == 0 { break }
            bytes += chunk[..<n]
            guard bytes.count <= Self.maximumFileBytes else {
                throw .damaged(path: path, problem: "larger than \(Self.maximumFileBytes >> 20) MiB")
            }
        }
        return UserSnapshot(users: try UsersFile.decode(bytes, path: path), stamp: FileStamp(info))
    }

    /// The stamp of the users file now (one `stat`), nil when there is none.
    public func stamp() throws(AccountsError) -> FileStamp? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT { return nil }
            throw .unreadable(path: path, reason: Errno.text())
        }
        return FileStamp(info)
    }

    /// `snapshot` itself while the file is unchanged (one `stat`), else the file read again: a
    /// long-running console calls it before each sign-in or request to see added, removed and
    /// changed users without reading the file each time.
    public func refreshed(_ snapshot: UserSnapshot) throws(AccountsError) -> UserSnapshot {
        try stamp() == snapshot.stamp ? snapshot : self.snapshot()
    }

    // MARK: Changing

    /// Adds a user. Throws `.invalidName`, a password error, or `.duplicateUser` (names are
    /// compared ignoring case, so `Ana` and `ana` are never two users).
    @discardableResult
    public func add(name: String, role: ConsoleRole, password: String, at now: Instant) throws(AccountsError) -> ConsoleUser {
        try UserName.validate(name)
        try Password.validate(password)
        // Checked before the slow hash, and again under the lock.
        try checkAvailable(name)
        let user = ConsoleUser(name: name, role: role, passwordHash: BcryptHash.make(password, cost: cost), createdAt: now, passwordChangedAt: now)
        try change { (users: inout [ConsoleUser]) throws(AccountsError) in
            if let taken = Self.holder(of: name, in: users) { throw .duplicateUser(taken.name) }
            users.append(user)
        }
        return user
    }

    /// Throws unless `add` could add a user named `name` now: `.invalidName`, or
    /// `.duplicateUser` when a name equal to it ignoring case exists. For a caller that asks
    /// for the password only once the name is known to be free.
    public func checkAvailable(_ name: String) throws(AccountsError) {
        try UserName.validate(name)
        if let taken = Self.holder(of: name, in: try users()) { throw .duplicateUser(taken.name) }
    }

    /// Sets a user's password. Throws a password error, or `.unknownUser`.
    @discardableResult
    public func setPassword(name: String, password: String, at now: Instant) throws(AccountsError) -> ConsoleUser {
        try Password.validate(password)
        guard try user(named: name) != nil else { throw .unknownUser(name) }
        let hash = BcryptHash.make(password, cost: cost)
        return try change { (users: inout [ConsoleUser]) throws(AccountsError) -> ConsoleUser in
            guard let index = users.firstIndex(where: { $0.name == name }) else { throw .unknownUser(name) }
            users[index].passwordHash = hash
            users[index].passwordChangedAt = now
            return users[index]
        }
    }

    /// Removes a user, and returns who it was. Throws `.unknownUser`.
    @discardableResult
    public func remove(name: String) throws(AccountsError) -> ConsoleUser {
        try change { (users: inout [ConsoleUser]) throws(AccountsError) -> ConsoleUser in
            guard let index = users.firstIndex(where: { $0.name == name }) else { throw .unknownUser(name) }
            return users.remove(at: index)
        }
    }

    // MARK: Signing in

    /// The user named `name` when `password` is theirs, else nil, reading the file now. See
    /// `authenticate(name:password:in:)`.
    public func authenticate(name: String, password: String) throws(AccountsError) -> ConsoleUser? {
        authenticate(name: name, password: password, in: try snapshot())
    }

    /// The user named exactly `name` in `snapshot` when `password` is theirs, else nil. Exactly
    /// one bcrypt check is made either way (against a fixed dummy hash of the same cost when
    /// there is no such user), so an unknown name takes as long as a wrong password and names
    /// cannot be probed by timing. A password no user could have (over 72 bytes, or with a
    /// control character: bcrypt would read only part of it) never matches.
    public func authenticate(name: String, password: String, in snapshot: UserSnapshot) -> ConsoleUser? {
        let user = snapshot.user(named: name)
        let possible = password.utf8.count <= Password.maximumBytes
            && !password.unicodeScalars.contains { $0.properties.generalCategory == .control }
        let dummy = BcryptHash.dummy(cost: snapshot.users.first.flatMap { BcryptHash.cost(of: $0.passwordHash) } ?? cost)
        let matches = BcryptHash.check(possible ? password : "", against: (possible ? user?.passwordHash : nil) ?? dummy)
        guard matches, possible, let user else { return nil }
        return user
    }

    // MARK: The file

    /// The user whose name is `name` ignoring case.
    private static func holder(of name: String, in users: [ConsoleUser]) -> ConsoleUser? {
        let folded = name.lowercased()
        return users.first { $0.name.lowercased() == folded }
    }

    /// Reads the users under the lock, lets `body` change them, and writes them back (nothing
    /// is written when `body` throws).
    private func change<T>(_ body: (inout [ConsoleUser]) throws(AccountsError) -> T) throws(AccountsError) -> T {
        let owner = FileOwner(dataDir: dataDir)
        try makeDirectory(owner)
        return try DirectoryLock(path: directory + "/users.lock", owner: owner).withLock { () throws(AccountsError) -> T in
            var users = try snapshot().users
            let result = try body(&users)
            try write(users, owner)
            return result
        }
    }

    /// Creates the data dir if need be, and `console` in it with mode 0700.
    private func makeDirectory(_ owner: FileOwner?) throws(AccountsError) {
        do { try Durable.makeDirectories(dataDir) } catch { throw .io(path: error.path, reason: error.reason) }
        guard mkdir(directory, 0o700) == 0 else {
            guard errno == EEXIST else { throw .io(path: directory, reason: "cannot create directory (\(Errno.text()))") }
            return
        }
        if let owner {
            let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard fd >= 0 else { throw .io(path: directory, reason: "cannot open directory (\(Errno.text()))") }
            defer { close(fd) }
            try owner.adopt(fd, path: directory)
        }
        do { try Durable.syncDirectory(dataDir) } catch { throw .io(path: error.path, reason: error.reason) }
    }

    /// Writes `users` as a new file under a temporary name (mode 0600), fsyncs it, renames it
    /// over the users file and fsyncs the directory.
    private func write(_ users: [ConsoleUser], _ owner: FileOwner?) throws(AccountsError) {
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directoryFD >= 0 else { throw .io(path: directory, reason: "cannot open directory (\(Errno.text()))") }
        defer { close(directoryFD) }
        // A temporary file left by a change that crashed: the lock is ours, so nobody writes it.
        unlinkat(directoryFD, temporaryName, 0)
        let temporaryPath = directory + "/" + temporaryName
        do {
            let file = try OutputFile(path: temporaryPath)
            // Before any byte is written: the hashes are for this user (and the console) alone.
            guard fchmodat(directoryFD, temporaryName, 0o600, 0) == 0 else {
                throw DurableFileError.io(path: temporaryPath, reason: "cannot chmod (\(Errno.text()))")
            }
            if let owner, fchownat(directoryFD, temporaryName, owner.uid, owner.gid, Int32(AT_SYMLINK_NOFOLLOW)) != 0 {
                throw DurableFileError.io(path: temporaryPath, reason: "cannot give it the data dir's owner (\(Errno.text()))")
            }
            try file.write(UsersFile.encode(users))
            try file.syncAndClose()
            try Durable.publish(temporary: temporaryName, as: "users.json", inDirectory: directoryFD, path: directory, replacing: true)
        } catch {
            unlinkat(directoryFD, temporaryName, 0)
            throw .io(path: path, reason: (error as? DurableFileError)?.reason ?? "\(error)")
        }
    }
}
