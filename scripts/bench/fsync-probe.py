"""Prints the p50, in µs, of one durable append as serve's inbox log makes it: a 12 KiB write
of whole blocks into a preallocated file in the given directory, bypassing the page cache where
the filesystem allows (O_DIRECT), then fdatasync. The disk's floor under one durable commit,
measured in the same run."""
import mmap
import os
import sys
import time

path = os.path.join(sys.argv[1], "fsync-probe")
size, span = 12 * 1024, 16 << 20
fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
try:
    os.pwrite(fd, b"\0" * span, 0)
    os.fsync(fd)
    try:
        direct = os.open(path, os.O_RDWR | getattr(os, "O_DIRECT", 0))
        os.close(fd)
        fd = direct
    except OSError:
        pass
    # Page-aligned memory, as a direct write needs.
    block = mmap.mmap(-1, size)
    block.write(os.urandom(size))
    times, offset = [], 0
    for _ in range(500):
        t = time.perf_counter()
        os.pwrite(fd, block, offset)
        os.fdatasync(fd)
        times.append(time.perf_counter() - t)
        offset = (offset + size) % (span - size)
    times.sort()
    print(round(times[len(times) // 2] * 1e6))
finally:
    os.close(fd)
    os.unlink(path)
