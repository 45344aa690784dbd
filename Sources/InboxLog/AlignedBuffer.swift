import Foundation

/// A fixed-size, block-aligned staging area for writes that bypass the page cache (`O_DIRECT`):
/// such a write must start at a block boundary, cover whole blocks, and come from aligned memory.
final class AlignedBuffer {
    /// The write granularity: a whole filesystem block on every disk in use.
    static let block = 4096
    private let base: UnsafeMutableRawPointer
    let capacity: Int
    private(set) var count = 0

    /// `bytes` up to a whole number of blocks.
    static func roundUp(_ bytes: Int) -> Int { (bytes + block - 1) / block * block }

    init(capacity: Int) {
        self.capacity = Self.roundUp(capacity)
        base = .allocate(byteCount: self.capacity, alignment: Self.block)
    }

    deinit { base.deallocate() }

    var room: Int { capacity - count }
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// Copies as much of `source` as fits; returns how much that was.
    func append(_ source: UnsafeRawBufferPointer) -> Int {
        let n = min(room, source.count)
        if n > 0 { (base + count).copyMemory(from: source.baseAddress!, byteCount: n) }
        count += n
        return n
    }

    /// `size` bytes at the end, for the caller to fill; the caller checks `room` first.
    func extend(by size: Int) -> UnsafeMutableRawBufferPointer {
        precondition(size <= room)
        defer { count += size }
        return UnsafeMutableRawBufferPointer(start: base + count, count: size)
    }

    /// The whole blocks held, and the bytes with zeros after them up to a block boundary.
    var wholeBlocks: Int { count / Self.block * Self.block }
    func padded() -> UnsafeRawBufferPointer {
        let end = Self.roundUp(count)
        (base + count).initializeMemory(as: UInt8.self, repeating: 0, count: end - count)
        return UnsafeRawBufferPointer(start: base, count: end)
    }

    /// The bytes with `size` bytes written by `fill` right after them (not counted as held),
    /// then zeros up to a block boundary. The caller checks that `room` has a block to spare.
    func padded(trailer size: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Void) -> UnsafeRawBufferPointer {
        let end = Self.roundUp(count + size)
        precondition(end <= capacity)
        (base + count).initializeMemory(as: UInt8.self, repeating: 0, count: end - count)
        fill(UnsafeMutableRawBufferPointer(start: base + count, count: size))
        return UnsafeRawBufferPointer(start: base, count: end)
    }

    /// Drops the first `n` bytes, moving the rest to the front.
    func removeFirst(_ n: Int) {
        if n < count { memmove(base, base + n, count - n) }
        count -= min(n, count)
    }

    func removeAll() { count = 0 }
}

/// `O_DIRECT`, which Glibc's Swift module does not export; 0 where it is not known, which
/// leaves writes to the page cache.
let directIO: Int32 = {
    #if os(Linux) && (arch(x86_64) || arch(i386))
    return 0o40000
    #elseif os(Linux) && (arch(arm64) || arch(arm))
    return 0o200000
    #else
    return 0
    #endif
}()

/// Opens `path` bypassing the page cache where the filesystem allows it (tmpfs, for one,
/// does not), else as usual.
func openDirect(_ path: String, _ flags: Int32, _ mode: mode_t = 0) -> Int32 {
    if directIO != 0 {
        let fd = open(path, flags | directIO, mode)
        if fd >= 0 || errno != EINVAL { return fd }
    }
    return open(path, flags, mode)
}

/// Turns off `O_DIRECT` on `fd` after a direct write was refused (`EINVAL`: a filesystem or
/// device wanting another alignment); true when it was on, so the write is worth retrying.
func dropDirect(_ fd: Int32) -> Bool {
    let flags = fcntl(fd, F_GETFL)
    guard directIO != 0, flags >= 0, flags & directIO != 0 else { return false }
    return fcntl(fd, F_SETFL, flags & ~directIO) == 0
}
