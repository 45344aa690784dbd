"""Checks and measures console pages with wrk for scripts/bench-console, and prints the table.

  console.py check BASE COOKIE WORK TARGET...
      Fetches each target once, without following redirects, and once more warm: anything but a
      200 with the signed-in layout (pages) fails the run, as does a page showing another number
      of items than its CHECK says. Keeps each body in WORK/pages/ID.body.
  console.py measure BASE COOKIE SECONDS CONNECTIONS WORK SERVER_PID TARGET...
      One wrk run per target per connection count (comma separated), each once the server has
      finished what the previous run left in flight (its CPU time stops growing): a slow page's
      queue must not land in the next one's numbers. Any non-200 response (counted by
      console.lua), socket error or timeout fails the run. Appends to WORK/results.jsonl.
  console.py table WORK
      The table of WORK/results.jsonl, and whether each page meets the targets.

TARGET: KIND:ID:LABEL=PATH[#items=N]; KIND `static` (a baseline) or `page` (held to the targets);
items=N: N conversation bubbles, or N search results, on the page.
wrk 4's percentiles include its correction for coordinated omission (stats_correct): a stall
of S seconds also counts the requests that would have been sent during it, at their wait.
"""
import http.client, json, os, re, subprocess, sys, time, unicodedata, urllib.parse

P50_TARGET_MS, P99_TARGET_MS = 50.0, 200.0
here = os.path.dirname(os.path.abspath(__file__))


def fail(message):
    print(f"bench-console: FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def pad(text, width):
    """`text` left aligned in `width` terminal columns (a CJK character takes two)."""
    return text + " " * max(0, width - sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text))


def parse_targets(args):
    targets = []
    for arg in args:
        kind, ident, rest = arg.split(":", 2)
        label, path = rest.split("=", 1)
        check = None
        if "#" in path:
            path, check = path.split("#", 1)
        targets.append({"kind": kind, "id": ident, "label": label, "path": path, "check": check})
    return targets


def fetch(base, cookie, path):
    """One GET, no redirects followed: (status, headers, body, ms)."""
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=300)
    start = time.perf_counter()
    conn.request("GET", path, headers={"Cookie": f"tv_session={cookie}"})
    response = conn.getresponse()
    body = response.read()
    ms = (time.perf_counter() - start) * 1000
    conn.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body, ms


def check(base, cookie, work, targets):
    os.makedirs(os.path.join(work, "pages"), exist_ok=True)
    print(f"{'page':<34} {'path':<52} {'bytes':>7} {'first':>10} {'again':>10}")
    for t in targets:
        status, headers, body, first = fetch(base, cookie, t["path"])
        if status != 200:
            fail(f"{t['path']} answered {status} {headers.get('location', '')}: "
                 "pages must be measured signed in (a 303 to /login would make the numbers meaningless)")
        text = body.decode("utf-8", "replace")
        if t["kind"] == "page" and 'action="/logout"' not in text:
            fail(f"{t['path']} is not a signed-in page")
        if t["check"]:
            expected = int(t["check"].split("=")[1])
            found = text.count('class="bubble ') if t["path"].startswith("/chats/") else text.count('<li><a href="/chats/')
            if found != expected:
                fail(f"{t['path']} shows {found} items, not {expected}")
        _, _, _, again = fetch(base, cookie, t["path"])
        with open(os.path.join(work, "pages", t["id"] + ".body"), "wb") as f:
            f.write(body)
        print(f"{pad(t['label'], 34)} {pad(urllib.parse.unquote(t['path'])[:50], 52)} {len(body):>7} {first:>7.1f} ms {again:>7.1f} ms")


def server_cpu(pid):
    """The server's CPU time so far, in clock ticks."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def settle(pid, limit=300):
    """Waits until the server has used at most a tick of CPU in each of two quarter seconds."""
    deadline, quiet, before = time.monotonic() + limit, 0, server_cpu(pid)
    while quiet < 2 and time.monotonic() < deadline:
        time.sleep(0.25)
        now = server_cpu(pid)
        quiet = quiet + 1 if now - before <= 1 else 0
        before = now


def ms(text):
    """wrk's durations (12.34us, 5.67ms, 1.23s, 1.00m) in ms."""
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(base, cookie, seconds, conns, work, path):
    argv = ["wrk", "-t1", f"-c{conns}", f"-d{seconds}s", "--timeout", "300s", "--latency",
            "-s", os.path.join(here, "console.lua"), "-H", f"Cookie: tv_session={cookie}", base.rstrip("/") + path]
    out = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout
    with open(os.path.join(work, "wrk.log"), "a", encoding="utf-8") as log:
        log.write(f"$ {' '.join(argv[:-3])} -H 'Cookie: tv_session=…' {argv[-1]}\n{out}\n")
    if re.search(r"^\s+0 requests in", out, re.M):
        # Not one response within the run: a miss, by more than the run's length.
        return {"responses": 0}
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


def measure(base, cookie, seconds, connections, work, pid, targets):
    with open(os.path.join(work, "results.jsonl"), "a", encoding="utf-8") as out:
        for conns in [int(c) for c in connections.split(",")]:
            for t in targets:
                settle(pid)
                r = wrk(base, cookie, seconds, conns, work, t["path"])
                r.update(kind=t["kind"], id=t["id"], label=t["label"], conns=conns, seconds=int(seconds))
                out.write(json.dumps(r, ensure_ascii=False) + "\n")
                out.flush()


def table(work):
    results = [json.loads(line) for line in open(os.path.join(work, "results.jsonl"), encoding="utf-8")]
    print("wrk -t1 --latency, one run per line, each once the server is idle; percentiles as wrk gives them (corrected for")
    print("coordinated omission); max: the slowest response; ratio: the page's p50 / the p50 of its same-size static page")
    print("(or, without one, of console.css)")
    print(f"{'page':<34} {'bytes':>7} {'conns':>5} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'req/s':>8} {'ratio':>7}  "
          f"{'p50<=' + str(int(P50_TARGET_MS)):>7} {'p99<=' + str(int(P99_TARGET_MS)):>8}")
    missed = []
    for conns in sorted({r["conns"] for r in results}):
        rows = [r for r in results if r["conns"] == conns]
        css = next((r.get("p50") for r in rows if r["id"] == "css"), None)
        for r in rows:
            if r["kind"] == "page" and r["responses"] == 0:
                never = f">{r['seconds'] * 1000}"
                print(f"{pad(r['label'], 34)} {'':>7} {conns:>5} {never:>8} {never:>8} {never:>8} {0.0:>8.1f} {'':>7}  "
                      f"{'MISSED':>7} {'MISSED':>8}  (no response within the run)")
                missed.append(f"{r['label']} at {conns} connection(s)")
                continue
            size = f"{r['min_bytes']}" if r["min_bytes"] == r["max_bytes"] else f"{r['min_bytes']}-{r['max_bytes']}"
            line = f"{pad(r['label'], 34)} {size:>7} {conns:>5} {r['p50']:>8.2f} {r['p99']:>8.2f} {r['max']:>8.1f} {r['rps']:>8.1f}"
            if r["kind"] == "page":
                same = next((s.get("p50") for s in rows if s["id"] == "static-" + r["id"]), None)
                baseline = same or css
                line += f" {r['p50'] / baseline:>6.0f}x" if baseline else f" {'':>7}"
                ok50, ok99 = r["p50"] <= P50_TARGET_MS, r["p99"] <= P99_TARGET_MS
                line += f"  {'met' if ok50 else 'MISSED':>7} {'met' if ok99 else 'MISSED':>8}"
                if not (ok50 and ok99):
                    missed.append(f"{r['label']} at {conns} connection(s)")
            print(line)
        print()
    print("targets (p50 <= 50 ms, p99 <= 200 ms): " + ("met by every page" if not missed else "MISSED by " + "; ".join(missed)))


mode, args = sys.argv[1], sys.argv[2:]
if mode == "check":
    check(args[0], args[1], args[2], parse_targets(args[3:]))
elif mode == "measure":
    measure(*args[:6], parse_targets(args[6:]))
elif mode == "table":
    table(args[0])
else:
    fail(f"unknown mode {mode}")
