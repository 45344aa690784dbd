"""One row of scripts/bench-serve from its paired runs on stdin, one per line:
noop_rps serve_rps noop_p50 serve_p50 serve_p99 batch noop_cpu_us serve_cpu_us requests drain_s [relay_rps]
Arguments: events, connections, seconds per run, fdatasync p50 in µs. Prints medians."""
import statistics
import sys

events, conns, secs, fsync_us = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])


def micros(text):  # wrk's latency: 265.00us, 1.52ms, 2.10s
    for unit, scale in (("us", 1), ("ms", 1e3), ("s", 1e6)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * scale
    raise SystemExit(f"cannot read latency {text!r}")


def shown(us):
    return f"{us:.0f}µs" if us < 1000 else f"{us / 1000:.2f}ms"


runs = [line.split() for line in sys.stdin if line.strip()]
if not runs:
    raise SystemExit("no runs")
med = statistics.median
noop = med(float(r[0]) for r in runs)
serve = med(float(r[1]) for r in runs)
ratio = med(float(r[1]) / float(r[0]) for r in runs)
bound = "-"
if conns == 1:
    np50 = med(micros(r[2]) for r in runs)
    bound = f"{np50 / (np50 + fsync_us):.2f}"
p50 = med(micros(r[3]) for r in runs)
p99 = med(micros(r[4]) for r in runs)
batch = med(float(r[5]) for r in runs if r[5] != "-") if any(r[5] != "-" for r in runs) else 0
ncpu = med(float(r[6]) for r in runs)
scpu = med(float(r[7]) for r in runs)
last = runs[-1]
drain = float(last[9])
applied = float(last[8]) / (secs + drain)
relay = f"{med(float(r[10]) / float(r[1]) for r in runs):6.2f}" if all(len(r) > 10 for r in runs) else "     -"
print(f"{events:<6} {conns:<5} {noop:11.0f} {serve:11.0f} {ratio:6.2f} {bound:>6} {shown(p50):>9} {shown(p99):>9} "
      f"{batch:7.1f} {ncpu:6.0f} µs {scpu:6.0f} µs {applied:9.0f} {drain:7.2f} {relay}")
