#!/usr/bin/python3
"""A department system that follows its Jiju events with nothing but an HTTP
client (Python's standard library): long-poll GET /api/v1/events, a cursor
kept in a file and saved after each event, each event a CloudEvent.

    http_department.py --url http://portal:8080 --token jiju_... \\
        --cursor czj.cursor --out czj.jsonl [--idle 3]

Appends each event as one JSON line to --out; stops after --idle seconds
without an event (0: never). docs/api.md shows its core; test_portal_feed.py
runs it against a real portal, twice, and checks nothing is lost or doubled."""
import argparse
import json
import os
import time
import urllib.request


def load_cursor(path):
    try:
        with open(path) as f:
            return int(f.read().strip() or 0)
    except FileNotFoundError:
        return 0


def save_cursor(path, seq):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(seq))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--cursor", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--idle", type=float, default=0)
    a = ap.parse_args()
    after = load_cursor(a.cursor)
    last_event = time.monotonic()
    with open(a.out, "a") as out:
        while not a.idle or time.monotonic() - last_event < a.idle:
            req = urllib.request.Request(f"{a.url}/api/v1/events?after={after}&wait=1",
                                         headers={"Authorization": "Bearer " + a.token})
            page = json.load(urllib.request.urlopen(req, timeout=60))
            for ev in page["events"]:       # ev["type"], ev["subject"], ev["data"]
                out.write(json.dumps(ev, ensure_ascii=False) + "\n")
                out.flush()
                after = int(ev["jijuseq"])
                save_cursor(a.cursor, after)
                last_event = time.monotonic()


if __name__ == "__main__":
    main()
