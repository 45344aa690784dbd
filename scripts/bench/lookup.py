"""Times lookups for scripts/bench-lookup: each command run whole, p50/p99 over samples."""
import json, os, shutil, statistics, subprocess, sys, time

talkvault, data, work = sys.argv[1:4]
config = ["--data-dir", data, "--config", "retention.yaml"]
samples = [line.rstrip("\n").split("\t") for line in open(os.path.join(data, "samples.tsv"), encoding="utf-8")]


def timed(argv):
    start = time.perf_counter()
    out = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True).stdout
    return (time.perf_counter() - start) * 1000, out


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def report(label, times, extra=""):
    print(f"{label:<44} n={len(times):<4} p50 {pct(times, 50):8.1f} ms   p99 {pct(times, 99):8.1f} ms {extra}")


rows = []
ids = [s[1] for s in samples if s[0] == "id"][:100]
times = []
for message_id in ids:
    ms, out = timed([talkvault, "find", "--id", message_id, "--json"] + config)
    assert out.count(b"\n") == 1, message_id
    times.append(ms)
report("find --id", times)

times, found = [], []
for _, user, month in [s for s in samples if s[0] == "user"][:50]:
    ms, out = timed([talkvault, "find", "--user", user, "--since", month, "--until", month, "--json"] + config)
    times.append(ms)
    found.append(out.count(b"\n"))
report("find --user U --since MONTH --until MONTH", times, f"({statistics.mean(found):.0f} rows on average)")

dump = os.path.join(work, "dump.jsonl")
print()
print(f"{'--text needle':<18} {'matches':>8} {'find --count p50':>17} {'p99':>9} {'grep -c p50':>12} {'ratio':>7}")
for needle in ["品番A-123", "品番A-77", "写真を送ります 料金", "駐車場", "領収書", "請求書_1", "駐車"]:
    t_find, t_grep = [], []
    for _ in range(15):
        ms, out = timed([talkvault, "find", "--text", needle, "--count"] + config)
        t_find.append(ms)
        count = int(out)
    for _ in range(5):
        start = time.perf_counter()
        grep = subprocess.run(["grep", "-c", "-F", needle, dump], stdout=subprocess.PIPE)
        t_grep.append((time.perf_counter() - start) * 1000)
    grep_count = int(grep.stdout or b"0")
    same = "" if grep_count == count else f" (grep counted {grep_count}: other fields too)"
    print(f"{needle:<18} {count:>8} {pct(t_find, 50):>14.1f} ms {pct(t_find, 99):>6.1f} ms {pct(t_grep, 50):>9.1f} ms "
          f"{pct(t_grep, 50) / pct(t_find, 50):>6.1f}x{same}")

print()
out_dir = os.path.join(work, "restored")
content = [s[1] for s in samples if s[0] == "content"][:40]
t_restore = []
for message_id in content:
    shutil.rmtree(out_dir, ignore_errors=True)
    ms, _ = timed([talkvault, "restore", message_id, "--to", out_dir] + config)
    t_restore.append(ms)
report("restore ID --to DIR (SHA-256 checked)", t_restore)
t_tar = []
for message_id in content[:6]:
    _, out = timed([talkvault, "find", "--id", message_id, "--json"] + config)
    segment, member = json.loads(out)["content_file"].split(":", 1)
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(out_dir)
    ms, _ = timed(["tar", "-xzf", os.path.join(data, "archive", segment), "-C", out_dir, member])
    t_tar.append(ms)
report("tar -xzf SEGMENT MEMBER", t_tar)
print(f"restore ratio (tar -xzf p50 / restore p50): {pct(t_tar, 50) / pct(t_restore, 50):.0f}x  (target: 100x)")
