"""Measures console pages with wrk for scripts/bench-console; prints the table.

Usage: console.py BASE_URL SESSION_COOKIE SECONDS CONNECTIONS WORK SERVER_PID TARGET...
  CONNECTIONS: comma separated, e.g. 1,4 (one wrk run per page per value).
  TARGET: KIND:LABEL=PATH[#CHECK], KIND `static` (a baseline) or `page` (held to the targets);
          CHECK: `items=N` (N conversation bubbles or search results on the page).
Every target is fetched once first, without following redirects: anything but a 200 with the
signed-in layout (pages) fails the run, as does any non-200 response during a wrk run (counted
by console.lua), a socket error or a timeout. Each fetched body is kept in WORK/pages/.
Before each wrk run the server is left to finish what the previous run left in flight (its CPU
time stops growing): a slow page's queue must not land in the next page's numbers.
wrk 4's percentiles include its correction for coordinated omission (stats_correct): a stall
of S seconds also counts the requests that would have been sent during it, at their wait.
"""
import http.client, os, re, subprocess, sys, time, unicodedata, urllib.parse

P50_TARGET_MS, P99_TARGET_MS = 50.0, 200.0
base, cookie, seconds, connections, work, server_pid = sys.argv[1:7]
connections = [int(c) for c in connections.split(",")]
targets = []
for arg in sys.argv[7:]:
    kind, rest = arg.split(":", 1)
    label, path = rest.split("=", 1)
    check = None
    if "#" in path:
        path, check = path.split("#", 1)
    targets.append({"kind": kind, "label": label, "path": path, "check": check})
here = os.path.dirname(os.path.abspath(__file__))
url = urllib.parse.urlsplit(base)


def pad(text, width):
    """`text` left aligned in `width` terminal columns (a CJK character takes two)."""
    return text + " " * max(0, width - sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text))


def fail(message):
    print(f"bench-console: FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def fetch(path):
    """One GET, no redirects followed: (status, headers, body, ms)."""
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
    start = time.perf_counter()
    conn.request("GET", path, headers={"Cookie": f"tv_session={cookie}"})
    response = conn.getresponse()
    body = response.read()
    ms = (time.perf_counter() - start) * 1000
    conn.close()
    return response.status, dict(response.getheaders()), body, ms


def server_cpu():
    """The server's CPU time so far, in clock ticks."""
    with open(f"/proc/{server_pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def settle(limit=300):
    """Waits until the server has used at most a tick of CPU in each of two quarter seconds."""
    deadline, quiet, before = time.monotonic() + limit, 0, server_cpu()
    while quiet < 2 and time.monotonic() < deadline:
        time.sleep(0.25)
        now = server_cpu()
        quiet = quiet + 1 if now - before <= 1 else 0
        before = now


def ms(text):
    """wrk's durations (12.34us, 5.67ms, 1.23s, 1.00m) in ms."""
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(path, conns):
    argv = ["wrk", "-t1", f"-c{conns}", f"-d{seconds}s", "--timeout", "60s", "--latency",
            "-s", os.path.join(here, "console.lua"), "-H", f"Cookie: tv_session={cookie}", base.rstrip("/") + path]
    settle()
    out = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout
    with open(os.path.join(work, "wrk.log"), "a", encoding="utf-8") as log:
        log.write(f"$ {' '.join(argv[:-3])} -H 'Cookie: tv_session=…' {argv[-1]}\n{out}\n")
    if re.search(r"^\s+0 requests in", out, re.M):
        # Not one response within the run: a miss, by more than the run's length.
        return {"p50": None, "p99": None, "max": None, "rps": 0.0, "responses": 0, "min_bytes": 0, "max_bytes": 0}
    try:
        result = {
            "p50": ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),
            "p99": ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),
            "max": ms(re.search(r"^\s+Latency\s+\S+\s+\S+\s+(\S+)", out, re.M).group(1)),
            "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        }
        lua = re.search(r"responses (\d+) non200 (\d+) last_status (\d+) min_bytes (-?\d+) max_bytes (\d+)", out)
        responses, non200, status, lo, hi = map(int, lua.groups())
    except AttributeError:
        fail(f"could not read wrk's output for {path}:\n{out}")
    if non200:
        fail(f"{non200} of {responses} responses to {path} were not 200 (the last: {status}):\n{out}")
    errors = re.search(r"Socket errors: (.*)", out)
    if errors:
        fail(f"socket errors on {path}: {errors.group(1)}")
    result.update(responses=responses, min_bytes=lo, max_bytes=hi)
    return result


# The check: each target once, then a second time warm (the first may fill a cache).
os.makedirs(os.path.join(work, "pages"), exist_ok=True)
print(f"{'page':<34} {'path':<58} {'bytes':>7} {'first':>9} {'again':>9}")
for t in targets:
    status, headers, body, first = fetch(t["path"])
    if status != 200:
        where = headers.get("Location") or headers.get("location") or ""
        fail(f"{t['path']} answered {status} {where}: a page must be measured signed in (a 303 to /login makes the numbers meaningless)")
    text = body.decode("utf-8", "replace")
    if t["kind"] == "page" and 'action="/logout"' not in text:
        fail(f"{t['path']} is not a signed-in page")
    if t["check"]:
        name, value = t["check"].split("=")
        found = text.count('class="bubble ') if "/chats/" in t["path"] else text.count('<li><a href="/chats/')
        if found != int(value):
            fail(f"{t['path']} shows {found} items, not {value}")
    _, _, again_body, again = fetch(t["path"])
    t["bytes"] = len(body)
    with open(os.path.join(work, "pages", t["label"].replace(" ", "_") + ".body"), "wb") as f:
        f.write(body)
    print(f"{pad(t['label'], 34)} {pad(urllib.parse.unquote(t['path'])[:50], 58)} {len(body):>7} {first:>6.1f} ms {again:>6.1f} ms")

print()
print(f"wrk -t1 -d{seconds}s --latency, one run per page and connection count, in this order, each once the server is idle;")
print("percentiles as wrk gives them (corrected for coordinated omission); max: the slowest response; ratio: p50 / console.css's p50")
print(f"{'page':<34} {'bytes':>7} {'conns':>5} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'req/s':>8} {'ratio':>7}  "
      f"{'p50<=' + str(int(P50_TARGET_MS)):>7} {'p99<=' + str(int(P99_TARGET_MS)):>8}")
missed = []
for conns in connections:
    baseline = None
    for t in targets:
        r = wrk(t["path"], conns)
        if t["kind"] == "static" and t["label"].startswith("console.css"):
            baseline = r["p50"]
        if r["responses"] == 0:
            never = f">{int(seconds) * 1000}"
            line = f"{pad(t['label'], 34)} {t['bytes']:>7} {conns:>5} {never:>8} {never:>8} {never:>8} {0.0:>8.1f} {'':>7}"
            line += f"  {'MISSED':>7} {'MISSED':>8}  (not one response within the run)"
            missed.append(f"{t['label']} at {conns} connection(s)")
            print(line, flush=True)
            continue
        size = f"{r['min_bytes']}" if r["min_bytes"] == r["max_bytes"] else f"{r['min_bytes']}-{r['max_bytes']}"
        ratio = f"{r['p50'] / baseline:.0f}x" if baseline and t["kind"] == "page" else ""
        line = f"{pad(t['label'], 34)} {size:>7} {conns:>5} {r['p50']:>8.2f} {r['p99']:>8.2f} {r['max']:>8.1f} {r['rps']:>8.1f} {ratio:>7}"
        if t["kind"] == "page":
            ok50, ok99 = r["p50"] <= P50_TARGET_MS, r["p99"] <= P99_TARGET_MS
            line += f"  {'met' if ok50 else 'MISSED':>7} {'met' if ok99 else 'MISSED':>8}"
            if not (ok50 and ok99):
                missed.append(f"{t['label']} at {conns} connection(s)")
        print(line, flush=True)
    print()
print("targets (p50 <= 50 ms, p99 <= 200 ms): " + ("met by every page" if not missed else "MISSED by " + "; ".join(missed)))
