import Foundation

/// The owner the console's files are given when root writes them (`sudo talkvault user add`):
/// the data dir's, so the console, running as the service user, can still read them. Nil when
/// not root, or when the data dir is root's own: files then keep the writer as owner.
struct FileOwner {
    let uid: uid_t
    let gid: gid_t

    init?(dataDir: String) {
        guard geteuid() == 0 else { return nil }
        var info = stat()
        guard stat(dataDir, &info) == 0, info.st_uid != 0 else { return nil }
        uid = info.st_uid
        gid = info.st_gid
    }

    /// Gives the file or directory open as `fd` this owner.
    func adopt(_ fd: Int32, path: String) throws(AccountsError) {
        guard fchown(fd, uid, gid) == 0 else { throw .io(path: path, reason: "cannot give it the data dir's owner (\(String(cString: strerror(errno))))") }
    }
}
