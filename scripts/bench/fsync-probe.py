"""Prints the p50 of fdatasync, in µs, after a 12 KiB overwrite in a preallocated file in the
given directory: the disk's floor under one durable commit, measured in the same run. A SQLite
commit costs more (its locks, frame headers and WAL index; about 100 µs more on the 2-core
machine the README describes)."""
import os
import sys
import time

path = os.path.join(sys.argv[1], "fsync-probe")
fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
try:
    size, span = 12 * 1024, 16 << 20
    os.pwrite(fd, b"\0" * span, 0)
    os.fsync(fd)
    block, times, offset = os.urandom(size), [], 0
    for _ in range(500):
        os.pwrite(fd, block, offset)
        offset = (offset + size) % (span - size)
        t = time.perf_counter()
        os.fdatasync(fd)
        times.append(time.perf_counter() - t)
    times.sort()
    print(round(times[len(times) // 2] * 1e6))
finally:
    os.close(fd)
    os.unlink(path)
