#!/usr/bin/env python3
"""Writes N signed webhook bodies, one per line as "signature<TAB>body", for wrk to replay.
Every event id and message id is unique, so each request is real work for the receiver."""
import base64, hashlib, hmac, json, sys

count, events_per_body, secret, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
with open(out, "w", encoding="utf-8") as f:
    n = 0
    for i in range(count):
        events = []
        for _ in range(events_per_body):
            n += 1
            events.append({
                "type": "message", "mode": "active", "timestamp": 1790000000000 + n,
                "source": {"type": "user", "userId": "U%032x" % (n % 997)},
                "webhookEventId": "01BENCH%019d" % n, "deliveryContext": {"isRedelivery": False},
                "replyToken": "%032x" % n,
                "message": {"id": str(700000000000000000 + n), "type": "text", "text": "予約できますか？ %d 番 😊" % n,
                            "quoteToken": "q%d" % n, "markAsReadToken": "t%d" % n},
            })
        body = json.dumps({"destination": "Ubench", "events": events}, ensure_ascii=False, separators=(",", ":"))
        sig = base64.b64encode(hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()).decode()
        f.write(sig + "\t" + body + "\n")
