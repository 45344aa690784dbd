#!/usr/bin/env python3
"""Posts signed bodies ("signature<TAB>body" lines) to URL/webhook at a steady RATE per second
for SECONDS, over one keep-alive connection. Prints how many were answered 200, and any other
answer counted by status. Usage: steady-post.py URL BODIES_TSV RATE SECONDS"""
import http.client, sys, time, urllib.parse

url, path, rate, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
parsed = urllib.parse.urlparse(url)
conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
answers = {}
start = time.monotonic()
sent = 0
with open(path, encoding="utf-8") as f:
    for line in f:
        due = start + sent / rate
        if due > start + seconds:
            break
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        sig, body = line.rstrip("\n").split("\t", 1)
        data = body.encode()
        conn.request("POST", "/webhook", body=data, headers={"x-line-signature": sig, "Content-Type": "application/json"})
        response = conn.getresponse()
        response.read()
        answers[response.status] = answers.get(response.status, 0) + 1
        sent += 1
print(" ".join(f"{status}:{count}" for status, count in sorted(answers.items())))
