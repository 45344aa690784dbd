"""Prints the p50 of fdatasync, in µs, after a 12 KiB overwrite in a preallocated file in the
given directory: the cost of one durable WAL commit on this disk, measured in the same run."""
import os
import sys

import time

path = os.path.join(sys.argv[1], "fsync-probe")
fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
try:
    size, span = 12 * 1024, 16 << 20
    os.ftruncate(fd, span)
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
